"""A review session: the questions asked, their answers and citations, saved as JSON under
`<data_dir>/sessions/` after every answer, reopened by `treaty chat --resume`, and exported to a
Markdown review memo with a numbered list of sources.

No Textual here: the session is plain data, usable (and tested) without the terminal UI. An answer
is kept as the CLI's JSON object (`assistant.answer.json_output.to_json`), so a session file holds
exactly what `treaty ask --json` would have printed for each question."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..answer.matrix import Matrix, markdown_table
from ..durable import write_bytes
from ..errors import UsageError
from ..records import AnswerSection, AnswerSentence
from ..safe_text import dumps, printable, printable_all

FORMAT = 1


def sessions_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "sessions"


def exports_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "exports"


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%d-%H%M%S")


@dataclass
class Asked:
    """A question and the scope it was asked in: the documents, roles and backend chosen for it."""

    question: str
    docs: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    backend: str = "extractive"


@dataclass
class Exchange(Asked):
    """One question and its answer (`answer` is the `to_json` object)."""

    answer: dict = field(default_factory=dict)
    asked_at: str = ""

    def to_dict(self) -> dict:
        return {"question": self.question, "asked_at": self.asked_at, "docs": self.docs, "roles": self.roles,
                "backend": self.backend, "answer": self.answer}

    @classmethod
    def from_dict(cls, d: dict) -> "Exchange":
        return cls(d["question"], list(d.get("docs") or []), list(d.get("roles") or []),
                   d.get("backend") or d["answer"].get("backend", "extractive"), answer=d["answer"], asked_at=d.get("asked_at", ""))


@dataclass
class Session:
    id: str
    path: Path
    created: str
    exchanges: list[Exchange] = field(default_factory=list)

    @classmethod
    def new(cls, data_dir: Path, now: datetime | None = None) -> "Session":
        """A new session; its file is written with the first answer."""
        now = now or datetime.now()
        folder = sessions_dir(data_dir)
        sid = _stamp(now)
        n = 1
        while (folder / f"session-{sid}.json").exists():
            n += 1
            sid = f"{_stamp(now)}-{n}"
        return cls(sid, folder / f"session-{sid}.json", now.isoformat(timespec="seconds"))

    @classmethod
    def load(cls, path: Path) -> "Session":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(data["id"], Path(path), data.get("created", ""),
                       [Exchange.from_dict(e) for e in data.get("exchanges", [])])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"session file {path} cannot be read ({exc.__class__.__name__}): "
                             "start a new session without --resume") from None

    @classmethod
    def last(cls, data_dir: Path) -> "Session | None":
        """The session saved most recently, or None when there is none."""
        folder = sessions_dir(data_dir)
        files = sorted(folder.glob("session-*.json"), key=lambda p: (p.stat().st_mtime, p.name)) if folder.is_dir() else []
        return cls.load(files[-1]) if files else None

    def add(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)

    def to_dict(self) -> dict:
        return {"format": FORMAT, "id": self.id, "created": self.created,
                "updated": datetime.now().isoformat(timespec="seconds"),
                "exchanges": [e.to_dict() for e in self.exchanges]}

    def save(self) -> Path:
        """Write the whole session atomically (a crash never leaves half a file)."""
        _atomic_write(self.path, dumps(self.to_dict(), indent=1))
        return self.path

    # --- export -----------------------------------------------------------------------------------

    def default_export_path(self, data_dir: Path, now: datetime | None = None) -> Path:
        return exports_dir(data_dir) / f"memo-{_stamp(now or datetime.now())}.md"

    def export(self, path: Path, now: datetime | None = None, note: str = "", matrix: Matrix | None = None) -> Path:
        if not self.exchanges:
            raise UsageError("nothing to export yet: ask a question first")
        path = Path(path).expanduser()
        if path.is_dir():
            path = path / f"memo-{_stamp(now or datetime.now())}.md"
        try:
            _atomic_write(path, memo(self, now, note, matrix))
        except OSError as exc:
            raise UsageError(f"cannot write {path} ({exc.strerror or exc}): choose another path") from None
        return path


def memo(session: Session, now: datetime | None = None, note: str = "", matrix: Matrix | None = None) -> str:
    """The review memo: the analyst's note (an empty heading to fill when none was typed), each
    question with its answer (citation numbers renumbered across the session), the safeguards matrix
    when one is given, then one numbered list of sources, each with its locator and the passage
    quoted. It is read in a terminal too (`cat`, `less -R`): every string from a document is made
    printable."""
    now = now or datetime.now()
    sources: list[dict] = []
    seen: dict[tuple, int] = {}
    out = ["# Review memo", "",
           f"Questions put to the indexed documents with treaty-assistant (session {session.id}, exported "
           f"{now.strftime('%Y-%m-%d %H:%M')}). Each statement is followed by the number of the source it "
           "quotes; the sources are listed at the end with the passage text.", "",
           "## Analyst's note", ""]
    out += [_escape_block(printable(line)) for line in note.splitlines()] + ([""] if note.strip() else [])
    for i, ex in enumerate(session.exchanges, 1):
        a = printable_all(ex.answer)
        numbers: dict[int, int] = {}
        for c in a.get("citations", []):
            key = (c.get("doc_id"), c.get("locator"), c.get("text"))
            if key not in seen:
                sources.append(c)
                seen[key] = len(sources)
            numbers[c["n"]] = seen[key]
        out += [f"## {i}. {_escape_inline(printable(ex.question))}", ""]
        out += [f"*{printable(scope(ex.docs, ex.roles))}; answered by the {a.get('backend', ex.backend)} backend.*", ""]
        if a.get("abstained"):
            out += ["**No clear answer in the indexed documents.**", ""]
        out += _answer_lines(a, numbers)
        for note in a.get("notes", []):
            out += [f"> Note: {_escape_inline(note)}", ""]
        missing = not_indexed(a)
        names = "; ".join(name for name, _ in missing if name)
        if names:
            out += [f"Not indexed, might hold the answer: {_escape_inline(names)}.", ""]
        if missing:
            out += ["To index them: " + ", ".join(f"`treaty corpus fetch {doc}`" for _, doc in missing) + ".", ""]
        v = a.get("verification")
        if v:
            out += [f"Verification: {v.get('supported', 0)} of {v.get('sentences', 0)} generated sentences supported "
                    "by the passages they cite.", ""]
            for issue in v.get("issues", []):
                out.append(f"- sentence {issue['sentence']}: {_escape_inline(issue['issue'])}: “{_escape_inline(issue['text'])}”")
            if v.get("issues"):
                out.append("")
    if matrix is not None:
        out += [f"## Safeguards in {_escape_inline(printable(matrix.title))}", "",
                *(_escape_inline(printable(line)) for line in markdown_table(matrix)), ""]
    out += ["## Sources", ""]
    if not sources:
        out += ["No passage was cited.", ""]
    for n, c in enumerate(sources, 1):
        out += [f"{n}. {_escape_inline(c['locator'])}", ""]
        if c.get("suspicious"):
            out += [f"   **Suspicious**: {_escape_inline(c.get('suspicious_reason') or '')}.", ""]
        out += [f"   > {_escape_block(c.get('text', ''))}", ""]
    return "\n".join(out).rstrip() + "\n"


def scope(docs: list[str], roles: list[str]) -> str:
    """Which documents a question was asked of, in words."""
    if not docs and not roles:
        return "Searched all indexed documents"
    parts = []
    if docs:
        parts.append("documents " + ", ".join(docs))
    if roles:
        parts.append("roles " + ", ".join(roles))
    return "Searched only " + " and ".join(parts)


def not_indexed(a: dict) -> list[tuple[str, str]]:
    """(name, id) of each registered document not indexed that might hold the answer. The name is
    empty where the answer's own words name the document already (an abstention says which documents
    it could not search), so that each is named once."""
    said = " ".join(s.text for section, _ in answer_sections(a) for s in section.sentences)
    out = []
    for m in a.get("not_downloaded") or []:
        named = (m.get("symbol") and m["symbol"] in said) or (m.get("title") and m["title"] in said)
        out.append(("" if named else f"{m.get('symbol') or m['doc_id']} ({m['title']})", m["doc_id"]))
    return out


def answer_sections(a: dict) -> list[tuple[AnswerSection, list[list[AnswerSentence]]]]:
    """The sections of an answer's JSON object, each with its paragraphs. An answer saved before
    answers had sections is its text, as one paragraph of one sentence citing nothing."""
    if "sections" not in a:
        sections = [AnswerSection("abstention" if a.get("abstained") else "answer", "", [AnswerSentence(a.get("answer", ""))])]
    else:
        sections = [AnswerSection.from_dict(x) for x in a["sections"]]
    doc_of = {c["n"]: c.get("doc_id") for c in a.get("citations", [])}
    return [(x, x.paragraphs(doc_of)) for x in sections]


def _answer_lines(a: dict, numbers: dict[int, int]) -> list[str]:
    """The answer's headings in bold and its paragraphs, each [n] as numbered in the memo's sources."""
    out = []
    for section, paragraphs in answer_sections(a):
        if section.heading:
            out += [f"**{_escape_inline(section.heading)}**", ""]
        for k, run in enumerate(paragraphs):
            renumbered = (AnswerSentence(s.text, [numbers.get(n, n) for n in s.citations]) for s in run)
            line = _escape_block(" ".join(s.marked for s in renumbered))
            # the verdict's label opens the answer in bold: "**Conditional.** [1]"
            out += [f"**Verdict: {line}**" if section.role == "verdict" and k == 0 else line, ""]
    return out


def _escape_inline(text: str) -> str:
    """Text kept as written, but never read as HTML or as emphasis markers."""
    return re.sub(r"([<*])", r"\\\1", text)


def _escape_block(text: str) -> str:
    """A paragraph kept as written; a leading `#` or `>` would make it a heading or a quote. (A
    leading "3. " stays: Markdown shows it as the number 3, as the treaty has it.)"""
    return re.sub(r"^(\s*)([#>])", r"\1\\\2", _escape_inline(text))


def _atomic_write(path: Path, text: str) -> None:
    """A crash never leaves half a file; the memo gets the usual permissions, to be shared like any
    other document."""
    write_bytes(path, text.encode("utf-8"), shared=True)