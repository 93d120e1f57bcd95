"""The context a cited passage is read in: the whole article it belongs to (all passages of the same
document and article), or for a submission the whole section (same heading path), with each footnote
placed after the paragraph that cites it; a cited footnote therefore opens with its paragraph.

No Textual here. Citations come back from session files as JSON (`to_json`): the answer's `cited`
and `passage_ids` give the passage (and the paragraph pinpointed) each [n] and each retrieved entry
stands for. An answer saved before it recorded ids is matched by locator."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from ..records import Passage


@dataclass
class Context:
    doc_title: str  # the document's full title
    heading: str  # "Article 20 – Real-time collection of traffic data", or "Multiple investigatory powers"
    passages: list[Passage]
    cited: Passage | None  # the passage to highlight (None: not in the current index)
    note: str = ""
    others: dict[str, int] = field(default_factory=dict)  # passage id -> [n] of other citations of the answer shown here


class Library:
    """The indexed passages grouped by document, in document order, for the reader."""

    def __init__(self, passages: list[Passage]):
        self.by_doc: dict[str, list[Passage]] = defaultdict(list)
        self.by_id: dict[str, Passage] = {}
        for p in passages:
            self.by_doc[p.doc_id].append(p)
            self.by_id[p.id] = p
        for rows in self.by_doc.values():
            rows.sort(key=lambda p: p.spans[0][0] if p.spans else 0)

    def find(self, cite: dict, answer: dict | None = None) -> tuple[Passage | None, str | None]:
        """The indexed passage a JSON citation (or retrieved passage) of `answer` stands for, and the
        label of the paragraph it pinpoints (None: the passage whole)."""
        pid, part = ref_of(cite, answer or {})
        if pid is not None:
            return self.by_id.get(pid), part
        locator = cite.get("locator")
        return next((p for p in self.by_doc.get(cite.get("doc_id", ""), [])
                     if p.locator == locator or any(x.locator == locator for x in p.parts)), None), None

    def context(self, cite: dict, answer: dict | None = None) -> Context:
        target, part = self.find(cite, answer)
        short = (cite.get("locator") or "").split(",")[0]
        if target is None:
            quoted = Passage(id="", doc_id=cite.get("doc_id", ""), role=cite.get("role", ""), title=cite.get("title", ""),
                             kind="paragraph", text=cite.get("text", ""), locator=cite.get("locator", ""), spans=[])
            return Context(cite.get("title") or short, cite.get("locator", ""), [quoted], quoted,
                           "This passage is not in the current index (the index was rebuilt since): shown as quoted.")
        rows = self.section(target)
        target = _pinpoint(rows, target, part, cite)
        others = {}
        for c in (answer or {}).get("citations", []):
            p, p_part = self.find(c, answer)
            p = _pinpoint(rows, p, p_part, c) if p is not None else None
            if p is not None and p.id != target.id and any(r.id == p.id for r in rows):
                others[p.id] = c["n"]
        return Context(target.title, heading_of(target), rows, target, "", others)

    def section(self, target: Passage) -> list[Passage]:
        rows = self.by_doc[target.doc_id]
        anchor = self.by_id.get(target.cited_by) if target.footnote is not None and target.cited_by else None
        anchor = anchor or target
        if anchor.article:
            group = [p for p in rows if p.article == anchor.article and p.footnote is None]
        elif anchor.heading_path:
            group = [p for p in rows if p.article is None and p.heading_path == anchor.heading_path and p.footnote is None]
        else:
            group = [anchor]
        # Each footnote after the paragraph citing it; a footnote whose paragraph is elsewhere goes last.
        ids = {p.id for p in group}
        notes: dict[str, list[Passage]] = defaultdict(list)
        loose = []
        for p in rows:
            if p.footnote is None:
                continue
            if p.cited_by in ids:
                notes[p.cited_by].append(p)
            elif p.id == target.id:
                loose.append(p)
        out = []
        for p in group:
            out += _paragraphs(p)
            out += sorted(notes.get(p.id, []), key=lambda f: f.footnote or 0)
        return out + loose


def _paragraphs(p: Passage) -> list[Passage]:
    """A whole article read paragraph by paragraph, so that the one a citation pinpoints stands out.
    The pieces are views for the reader (ids `art15(2)`), never indexed."""
    if not p.parts:
        return [p]
    out = []
    lead = p.text[:p.parts[0].start].strip()
    if lead:
        out.append(replace(p, id=f"{p.id}(lead)", text=lead, parts=[]))
    for x in p.parts:
        out.append(replace(p, id=f"{p.id}({x.label})", text=p.text[x.start:x.end], locator=x.locator, paragraph=x.label,
                           page=x.page, page_end=x.page, kind="paragraph", parts=[]))
    return out


def ref_of(cite: dict, answer: dict) -> tuple[str | None, str | None]:
    """(passage id, paragraph label) a citation ("n") or a retrieved entry ("rank") of an answer's
    JSON object stands for; (None, None) when the answer records no ids."""
    if "n" in cite:
        found = next((c for c in answer.get("cited", []) if c.get("n") == cite["n"]), None)
        return (found["passage_id"], found.get("part")) if found else (None, None)
    ids, rank = answer.get("passage_ids") or [], cite.get("rank")
    return (ids[rank - 1], None) if isinstance(rank, int) and 0 < rank <= len(ids) else (None, None)


def _pinpoint(rows: list[Passage], p: Passage, part: str | None, cite: dict) -> Passage:
    """The row standing for a citation: the paragraph it pinpoints, else the passage's first row."""
    if not p.parts:
        return p
    mine = [r for r in rows if r.id.startswith(f"{p.id}(")]
    if part is None:  # an answer saved before ids were recorded names its paragraph by locator
        return next((r for r in mine if r.locator == cite.get("locator")), None) or next(iter(mine), p)
    return next((r for r in mine if r.id == f"{p.id}({part})"), None) or next(iter(mine), p)


def heading_of(p: Passage) -> str:
    if p.article:
        last = p.heading_path[-1] if p.heading_path else ""
        return last if last.lower().startswith("article") else f"Article {p.article}"
    return " › ".join(p.heading_path) or p.locator


def label_of(p: Passage) -> str:
    """What a passage is called in the reader's margin: `art. 20(3)`, `footnote 26 (p. 9)`, `p. 9`."""
    rest = p.locator.split(", ", 1)[1] if ", " in p.locator else p.locator
    if p.footnote is not None:
        return rest
    if p.article:
        return rest
    return rest.rsplit(", ", 1)[-1] if rest.startswith("'") else rest
