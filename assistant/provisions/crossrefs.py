"""The references a provision makes to other provisions of its own document ("subject to Articles 14
and 15", "referred to in paragraph 1", "article 4, paragraph 2", "paragraphs 1 and 2 of this article",
"Articles 14 through 21", "the preceding paragraph"), read as locators ("art. 15", "art. 4(2)") and
resolved to the passages that hold them. A reference to another instrument ("Article 8 of the
[Convention for the Protection ...]") is not followed: it names no provision of this document."""

from __future__ import annotations

import re

from ..records import CrossRef, Passage, Provision

_NUM = r"\d+(?:\s*(?:bis|ter|quater)\b)?(?:\s*\((?:paragraphs?\s+)?[\dA-Za-z ,]{1,18}\))*"
_JOIN = r"(?:\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s+to\s+|\s+through\s+|\s*[-–]\s*)"
_LIST = rf"{_NUM}(?:{_JOIN}{_NUM})*"
_REF = re.compile(
    rf"\b(?P<head>articles?|paragraphs?|sub-?paragraphs?)\s+(?P<list>{_LIST})"
    rf"(?:\s*,\s*paragraphs?\s+(?P<paras>{_LIST}))?"
    rf"(?:\s+(?:above|below))?(?:\s+of\s+(?:(?P<this>this\s+article)|(?:article|art\.)\s+(?P<of>{_NUM})))?",
    re.IGNORECASE)
_PRECEDING = re.compile(r"\b(?:the\s+)?(?:(?P<n>two|three)\s+)?(?:preceding|previous|foregoing)\s+paragraphs?\b", re.IGNORECASE)
# another instrument's article: "Article 20.d. of the Statute", "Article 8 of the [1950 Convention"
_EXTERNAL = re.compile(r"(?:\.[a-z]\.?)?\s+of\s+the\s+(?!present\b)\S*[A-Z0-9]")
_CUES = (("subject-to", r"subject to"),
         ("in-accordance-with", r"in accordance with|pursuant to|in conformity with|under"),
         # ("offences established in accordance with Articles 2 through 11" names the offences, it is
         # not subject to those articles)
         ("referred-to", r"referred to in|provided for (?:in|under|by)|set (?:forth|out) in|mentioned in|described in|"
                         r"specified in|as defined in|within the meaning of|covered by|laid down in|established in accordance with"))
_CUE = re.compile(r"(?P<cue>" + "|".join(f"(?P<{k.replace('-', '_')}>{p})" for k, p in _CUES) + r")"
                  r"(?:\s+the\s+(?:provisions|conditions|terms|requirements|procedures?|measures?)\s+(?:of|in|set forth in))?"
                  r"\s+(?:the\s+|this\s+)?$", re.IGNORECASE)
_WORDS = {"two": 2, "three": 3}
MAX_RANGE = 40  # "Articles 14 through 21" is expanded; a misread "1 to 2000" is not


def find_crossrefs(text: str, article: str, paragraph: str | None) -> list[CrossRef]:
    """The references in a provision's words, each with its targets as locators in this document."""
    out: list[CrossRef] = []
    for m in _REF.finditer(text):
        if _EXTERNAL.match(text, m.end()):
            continue
        targets = _targets(m, article)
        targets = [t for t in targets if t != _locator(article, paragraph)]
        if targets:
            kind, start = _cue(text, m.start())
            ref = CrossRef(text[start:m.end()].strip(), kind, list(dict.fromkeys(targets)))
            if not any((r.words, r.targets) == (ref.words, ref.targets) for r in out):
                out.append(ref)
    if paragraph and paragraph.isdigit():
        for m in _PRECEDING.finditer(text):
            n = _WORDS.get((m.group("n") or "").lower(), 1)
            targets = [_locator(article, str(k)) for k in range(int(paragraph) - n, int(paragraph)) if k >= 1]
            if targets:
                out.append(CrossRef(m.group(0), "preceding", targets))
    return out


def resolve_refs(prov: Provision, passages: list[Passage]) -> None:
    """Fill each cross-reference's passage ids from the passages of its document."""
    for ref in prov.crossrefs:
        ids = [pid for t in ref.targets for pid in passages_of(t, passages)]
        ref.passage_ids = list(dict.fromkeys(ids))


def passages_of(target: str, passages: list[Passage]) -> list[str]:
    """The passages holding a locator: a sub-paragraph's own passage, else its paragraph's, else the
    whole article's (a short article is one passage whose parts are its paragraphs)."""
    article, para, sub = parse_locator(target)
    rows = [p for p in passages if p.article == article and p.footnote is None]
    if para is None:
        return [p.id for p in rows]
    if sub is not None:
        own = [p.id for p in rows if p.kind == "subparagraph" and p.id.split("~")[0].endswith(f".{para}.{sub}")]
        if own:
            return own
    found = [p.id for p in rows if p.paragraph == para or any(x.label == para for x in p.parts)
             or (p.kind == "subparagraph" and p.id.split("~")[0].rsplit(".", 2)[-2:][0] == para)]
    return found or [p.id for p in rows]


_LOCATOR = re.compile(r"art\. (?P<a>[^()\s]+(?: [a-z]+)?)(?:\((?P<p>[^)]+)\))?(?:\((?P<s>[^)]+)\))?")


def parse_locator(target: str) -> tuple[str, str | None, str | None]:
    """"art. 29(1)(g)" -> ("29", "1", "g"); "art. 15" -> ("15", None, None)."""
    m = _LOCATOR.match(target)
    return (m.group("a"), m.group("p"), m.group("s")) if m else (target, None, None)


def _locator(article: str, paragraph: str | None = None, sub: str | None = None) -> str:
    return f"art. {article}" + (f"({paragraph})" if paragraph else "") + (f"({sub})" if sub else "")


def _targets(m: re.Match, article: str) -> list[str]:
    head = m.group("head").lower()
    if head.startswith("article"):
        out = []
        nums = _numbers(m.group("list"))
        for n, (art, inner) in enumerate(nums):
            extra = _numbers(m.group("paras")) if m.group("paras") and n == len(nums) - 1 else []
            paras = [p for p, _ in extra] or inner or [None]
            out += [_locator(art, p) for p in paras]
        return out
    of = _numbers(m.group("of"))[0][0] if m.group("of") else article
    out = []
    for para, inner in _numbers(m.group("list")):
        # "paragraph 1 (a)" and "subparagraph 1 (a)" both name item (a) of paragraph 1
        subs = [s for s in inner if s.isalpha() and len(s) == 1] or [None]
        out += [_locator(of, para, s) for s in subs]
    return out


def _numbers(listed: str) -> list[tuple[str, list[str]]]:
    """"14 and 15" -> [("14", []), ("15", [])]; "14 through 16" -> 14, 15, 16; "8 (paragraphs 1 and
    2)" -> [("8", ["1", "2"])]; "4(2)" -> [("4", ["2"])]; "1 (a)" -> [("1", ["a"])]."""
    out: list[tuple[str, list[str]]] = []
    # (a list inside brackets belongs to its article: "8 (paragraphs 1 and 2)")
    pieces = re.split(rf"({_JOIN})(?![^()]*\))", listed)
    ranged = False
    for piece in pieces:
        if re.fullmatch(_JOIN, piece):
            ranged = bool(re.search(r"\bto\b|\bthrough\b|[-–]", piece))
            continue
        m = re.match(r"(\d+(?:\s*(?:bis|ter|quater)\b)?)(.*)", piece.strip(), re.IGNORECASE)
        if not m:
            continue
        number = re.sub(r"\s+", " ", m.group(1))
        inner = re.findall(r"\b(\d+|[a-z])\b", re.sub(r"paragraphs?|and|or", " ", m.group(2), flags=re.IGNORECASE))
        if ranged and out and out[-1][0].isdigit() and number.isdigit() and 0 < int(number) - int(out[-1][0]) <= MAX_RANGE:
            out += [(str(k), []) for k in range(int(out[-1][0]) + 1, int(number))]
        out.append((number, inner))
        ranged = False
    return out


def _cue(text: str, at: int) -> tuple[str, int]:
    """The kind of reference the words before it make, and where those words start."""
    before = text[max(0, at - 80):at]
    m = _CUE.search(before)
    if m is None:
        return "other", at
    kind = next(k for k, _ in _CUES if m.group(k.replace("-", "_")))
    return kind, at - len(before) + m.start()
