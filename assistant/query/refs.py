"""Article references and document names in free text: "Article N of <name>", "<name> art. N",
"art. N <name>", "articles N and M, paragraph P, of <name>", a bare "Article N".

Used twice: on questions (what the user asks about) and on passages (what a paragraph mentions)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ..records import ARTICLE_NUMBER, ArticleRef, NamedDoc, Source
from .rules import Rules

_NUMBER = ARTICLE_NUMBER
_ART = re.compile(
    r"\b(?:articles?|arts?\.?)\s*"
    rf"(?P<list>{_NUMBER}(?:\s*\(\s*\d+\s*\))?(?:\s*,?\s*(?:paragraph|para\.?)\s*\d+)?"
    rf"(?:\s*(?:,|and|&|or|to|-|–)\s*{_NUMBER}(?:\s*\(\s*\d+\s*\))?(?:\s*,?\s*(?:paragraph|para\.?)\s*\d+)?)*)",
    re.IGNORECASE,
)
_ITEM = re.compile(rf"({_NUMBER})(?:\s*\(\s*(\d+)\s*\))?(?:\s*,?\s*(?:paragraph|para\.?)\s*(\d+))?", re.IGNORECASE)
_JOINER = re.compile(r"[\s,]*(?:(?:of|in|under)\s+(?:the\s+)?)?", re.IGNORECASE)


def role_names(rules: Rules | None = None) -> dict[str, list[str]]:
    """The words that name every document of a role at once (rules.toml `role_names`), by role."""
    entry = (rules or Rules()).entry("role_names")
    if not entry:
        return {}
    return {"submission": entry["submission_single"] + [f"{det} {noun}" for noun in entry["submission"]
                                                        for det in entry["determiners"]]}




@dataclass(slots=True)
class AliasMatcher:
    pattern: re.Pattern
    lookup: dict[str, list[str]]
    subjects: re.Pattern | None = None
    subject_docs: list[str] = field(default_factory=list)
    # "the <subject> and <subject> conventions": two subjects that share their noun
    coordinated: re.Pattern | None = None
    subject_lookup: dict[str, str] = field(default_factory=dict)
    # how each name of `lookup` names its document: "name", "alias", "symbol" or "role"
    how: dict[str, str] = field(default_factory=dict)
    rules: Rules = field(default_factory=Rules)  # the phrasing rules references are read with

    @classmethod
    def build(cls, sources: list[Source], roles: bool = False, rules: Rules | None = None) -> "AliasMatcher":
        """`roles`: also take the words that name every document of a role ("the NGOs"), as
        questions use them; passages are parsed without them."""
        lookup: dict[str, list[str]] = {}
        how: dict[str, str] = {}
        for s in sources:
            for kind, name in [*(("alias", a) for a in s.aliases), ("name", s.short), ("symbol", s.symbol), ("name", s.title)]:
                if name and len(name) > 2:
                    lookup.setdefault(name.casefold(), [s.id])
                    how.setdefault(name.casefold(), kind)
        if roles:
            for role, names in role_names(rules).items():
                ids = [s.id for s in sources if s.role == role]
                for name in names:
                    if ids:
                        lookup.setdefault(name.casefold(), ids)
                        how.setdefault(name.casefold(), "role")
        names = sorted(lookup, key=len, reverse=True)
        body = "|".join(re.escape(n) for n in names)
        pattern = re.compile(rf"(?<![\w/])(?:{body})(?![\w/])", re.IGNORECASE)
        rules = rules or Rules()
        # "the <subject> treaty": a subject names the document when a word for such a text follows it
        nouns = rules.entry("subject_nouns")
        one, many = (f"(?:{'|'.join(nouns.get(k, '').split())})" for k in ("words", "plurals"))
        subjects = [(s.id, subject) for s in sources for subject in s.subjects] if nouns else []
        described = [(doc, rf"{_loose(subject)}\s+{one}") for doc, subject in subjects] + _dated(sources, rules.words("dated_names"))
        alternatives = "|".join(f"(?P<s{n}>{regex})" for n, (_, regex) in enumerate(described))
        by_subject = re.compile(rf"(?<![\w/])(?:{alternatives})(?![\w/])", re.IGNORECASE) if described else None
        subject_lookup = {_plain(subject): doc for doc, subject in subjects}
        any_subject = "|".join(_loose(subject) for subject in sorted(subject_lookup, key=len, reverse=True))
        coordinated = re.compile(rf"(?<![\w/])(?P<a>{any_subject})\s+(?:and|or|&)\s+(?:the\s+)?(?P<b>{any_subject})\s+"
                                 rf"{many}\b", re.IGNORECASE) if subject_lookup else None
        return cls(pattern, lookup, by_subject, [doc for doc, _ in described], coordinated, subject_lookup, how,
                   rules)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        found = [(m.start(), m.end(), doc) for m in self.pattern.finditer(text) for doc in self.lookup[m.group(0).casefold()]]

        def readings():
            if self.subjects is not None:
                yield [(m.start(), m.end(), [self.subject_docs[int(m.lastgroup[1:])]]) for m in self.subjects.finditer(text)]
            # two names sharing their noun: the first alone, the second with the noun
            if self.coordinated is not None:
                yield [span for m in self.coordinated.finditer(text)
                       for span in ((m.start("a"), m.end("a"), [self.subject_lookup.get(_plain(m.group("a")))]),
                                    (m.start("b"), m.end(), [self.subject_lookup.get(_plain(m.group("b")))]))]
            spans = []
            for m in self.rules.pattern("coordinated_names").finditer(text):
                kind = m.group("kind").lower().removesuffix("s").replace("treatie", "treaty")
                spans += [(m.start("a"), m.end("a"), self.lookup.get(f"{m.group('a')} {kind}".casefold(), [])),
                          (m.start("b"), m.end(), self.lookup.get(f"{m.group('b')} {kind}".casefold(), []))]
            yield spans

        # A span that a plainer reading (an alias, then a subject) has named is not named again.
        # Matches of one reading never overlap one another, so each is checked against the readings
        # before it only, by bisection: one check per match, however many names a long text has.
        for spans in readings():
            taken = sorted({(a, b) for a, b, _ in found})
            found += [(start, end, doc) for start, end, docs in spans if _free(taken, start, end) for doc in docs if doc]
        found.sort()
        return found


def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps none of `taken`, spans sorted and apart: of those starting
    before `end`, the last ends last."""
    k = bisect.bisect_left(taken, (end,)) - 1
    return k < 0 or taken[k][1] <= start




def _dated(sources: list[Source], kinds_named: list[str]) -> list[tuple[str, str]]:
    """"The <year> Declaration": a year and the kind of text its title says it is (one of
    `kinds_named`), where one registered document alone has both."""
    if not kinds_named:
        return []
    kinds: dict[tuple[str, str], list[str]] = {}
    for s in sources:
        for kind in re.findall(rf"\b({'|'.join(kinds_named)})\b", s.title, re.IGNORECASE):
            if s.date[:4].isdigit() and s.id not in kinds.setdefault((s.date[:4], kind.lower()), []):
                kinds[(s.date[:4], kind.lower())].append(s.id)
    return [(ids[0], rf"{year}\s+{kind}") for (year, kind), ids in kinds.items() if len(ids) == 1]


def _plain(subject: str) -> str:
    """A subject as one key, however typed: "Anti corruption" and "anti-corruption" alike."""
    return " ".join(re.split(r"[\s-]+", subject.casefold().replace("’", "'")))


def _loose(subject: str) -> str:
    """A subject as people type it: "women's" or "women’s", "anti-corruption" or "anti corruption"."""
    return r"[\s-]+".join(re.escape(w).replace("'", "['’]") for w in re.split(r"[\s-]+", subject))


def named_documents(text: str, matcher: AliasMatcher) -> list[str]:
    return [n.doc_id for n in named(text, matcher)]


def named(text: str, matcher: AliasMatcher) -> list[NamedDoc]:
    """The documents a text names, each once, in order, with how it was first named: a name of
    `matcher.lookup` by its kind, else by its subject ("the <subject> convention")."""
    seen: dict[str, NamedDoc] = {}
    for a, b, doc in matcher.find(text):
        if doc not in seen:
            words = text[a:b]
            seen[doc] = NamedDoc(doc, matcher.how.get(words.casefold(), "subject"), words)
    return list(seen.values())


_AFTER = re.compile(r"[\s,]*(?:(?:of|in|under|from)\s+(?:the\s+)?(?:\d{4}\s+)?)?", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s?(?!\w)")
_BEFORE = re.compile(r"\s*(?:['’]s)?\s*", re.IGNORECASE)


def _attribute(text: str, start: int, end: int, aliases: list[tuple[int, int, str]], described: re.Pattern) -> str | None:
    """The document a reference belongs to: a name right after it ("... of <name>", "art. N
    <name>"), else right before it ("<name> art. N", "<name>'s article N"). A name further away
    ("art. N points to <name>") says nothing about the number, unless the words between describe
    the numbered provision as the name's ("<name>'s <words> article (Art. N)")."""
    # (matched in place, not on slices: a long paragraph has many references and names)
    for a, b, doc in aliases:
        if a >= end and _AFTER.fullmatch(text, end, a):
            return doc
    for a, b, doc in aliases:
        if b <= start and (_BEFORE.fullmatch(text, b, start) or described.fullmatch(text, b, start)):
            return doc
    return None


def _number(text: str) -> str:
    """An article number as the treaty loader writes it: "17bis" and "17 Bis" are "17 bis"."""
    digits, suffix = re.match(r"(\d+)\s*([a-z]*)", text, re.IGNORECASE).groups()
    return f"{digits} {suffix.lower()}" if suffix else digits


def find_refs(text: str, matcher: AliasMatcher) -> list[ArticleRef]:
    """Article references with the document each one names (None where the text names none)."""
    aliases = matcher.find(text)
    refs: list[ArticleRef] = []
    for m in _ART.finditer(text):
        doc = _attribute(text, m.start(), m.end(), aliases, matcher.rules.pattern("described_article"))
        for item in _ITEM.finditer(m.group("list")):
            para = item.group(2) or item.group(3)
            ref = ArticleRef(article=_number(item.group(1)), paragraph=para, doc_id=doc)
            if ref not in refs:
                refs.append(ref)
    return refs


def strip_references(text: str, matcher: AliasMatcher, keep: frozenset[str] = frozenset()) -> str:
    """The question without its article references and document names: what it asks *about* them.
    Those parts are matched structurally; left in, they pull the embedding toward any text that
    merely names an article. Names of documents in `keep` stay: a document that is not indexed
    ("the Esperanza Protocol") is what the question is about, not where to look."""
    # a possessive goes with its name: "Budapest's power" leaves "power", not "'s power"
    names = [(a, b + len(m.group(0)) if (m := _POSSESSIVE.match(text, b)) else b)
             for a, b, doc in matcher.find(text) if doc not in keep]
    cuts = sorted([(m.start(), m.end()) for m in _ART.finditer(text)] + names)
    merged: list[list[int]] = []
    for a, b in cuts:
        # "Article N of the <name>" goes as a whole, "of the" included
        if merged and (a <= merged[-1][1] or _JOINER.fullmatch(text[merged[-1][1]:a])):
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, pos = [], 0
    for a, b in merged:
        out.append(text[pos:a])
        pos = b
    out.append(text[pos:])
    return re.sub(r"\s+", " ", " ".join(out)).strip()


def describe_mention(text: str, article: str) -> str:
    """How a text describes an article it mentions: "real-time collection of traffic data (article
    73)" gives "real-time collection of traffic data"; "Article 78 is specially concerning given it
    includes ..." gives what follows. Used to search for an article whose own text is not indexed."""
    for m in _ART.finditer(text):
        if not any(_number(item.group(1)) == article for item in _ITEM.finditer(m.group("list"))):
            continue
        before = text[: m.start()]
        if before.rstrip().endswith("("):
            clause = re.split(r"[,;:()]|\band\b", before.rstrip()[:-1])[-1]
            return clause.strip()
        after = re.split(r"(?<=[.;])\s", text[m.end():], maxsplit=1)[0][:160].strip(" ,.")
        # "articles 87(2), “n”, and article 90(2), “g”, we consider ..." lists articles: what follows
        # describes none of them
        if not _ART.search(after):
            return after
    return ""
