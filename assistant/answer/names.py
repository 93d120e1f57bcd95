"""The names a question holds (`Query.names`, read by the query analysis) set against the index and
the passages an answer would quote: names no passage contains make abstaining easier, names the
quoted passages never speak of make the answer about something else, and a question asking for a
an amount, a judgment or a ratification needs a passage stating one where it speaks of them."""

from __future__ import annotations

import bisect
import re

from ..lexical import tokenize
from ..query.reader import NUMBER_OF
from ..query.stated import STATED, WANTED
from ..records import Hit, Query, Source

NAME_IDF = 3.0  # a capitalised word in more than about one passage in twenty is not a name
# Roles of the texts adopted by states, whose words cannot say who has since ratified them (nor, short
# of a resolution noting it, who has ratified another).
TREATY_ROLES = ("negotiating-text", "comparator", "instrument")


class Names:
    """Reads one index's vocabulary; reuse it across questions."""

    def __init__(self, snapshot):
        self.snapshot = snapshot
        self._unknown: tuple[tuple, list[str]] = ((), [])  # the last question's, asked for up to five times
        self._words: tuple[object, list[str]] = (None, [])  # the index's vocabulary, sorted for prefix lookups

    def unknown(self, q: Query) -> list[str]:
        """Names in the question that no indexed passage contains: a question about a country or a
        court case the documents never mention is rarely answered by them."""
        vocab = self.snapshot.lexical.vocab
        if self._words[0] is not vocab:  # a new index: new words, and nothing known of them
            self._words, self._unknown = (vocab, sorted(vocab)), ((), [])
        if self._unknown[0] == (q.text, q.names):
            return self._unknown[1]
        words = self._words[1]
        out = [w for w in q.names
               if not any(t in vocab for t in tokenize(w)) and not (len(w) > 5 and _has_prefix(words, _root(w)))]
        self._unknown = ((q.text, q.names), out)
        return out

    def known(self, q: Query) -> list[str]:
        """The question's names that the indexed documents use, but few of their passages: "State",
        "Court" or "Convention" name nothing in particular. An acronym only counts when no document
        knows it: a passage about the UN rarely spells "UN" out. A numbered name is particular by its
        number, however common its word."""
        unknown, lex = self.unknown(q), self.snapshot.lexical
        return [w for w in q.names if not w.isupper() and tokenize(w) and w not in unknown
                and (w in q.numbered or min(lex.idf(t) for t in tokenize(w)) >= NAME_IDF)]

    def absent(self, q: Query, hits: list[Hit], registry: dict[str, Source]) -> list[str]:
        """Names of the question that the indexed documents know but that neither the passages the
        answer would quote nor their documents' names contain, as the run of capitalised words they
        stand in. Such an answer is about something else: a named project answered with what a
        text says of the tool it investigated, a protocol with its parent convention's articles."""
        known = self.known(q)
        if not known:
            return []
        seen = seen_text(hits, registry)
        return runs(q, {w for w in known if not speaks_of(seen, w)})

    def unstated(self, q: Query, hits: list[Hit], registry: dict[str, Source]) -> str:
        """For a question asking for an amount, a judgment or who has ratified, what the passages
        lack ("states a number", "cites a judgment") when no passage the answer would quote has
        one where it speaks of the question's names, in a document the question names if it names
        any; else "". Who has ratified a treaty is recorded in no adopted text, the named one included."""
        if not q.asks:
            return ""
        find, own, names = STATED[q.asks], set(q.stated), self.known(q)
        for hit in {id(h): h for h in hits}.values():
            if (hit.passage.role in TREATY_ROLES) if q.asks == "status" else (q.named_docs and hit.passage.doc_id not in q.named_docs):
                continue
            if find(f"{hit.passage.context} {hit.passage.text}") - own and all(speaks_of(seen_text([hit], registry), w) for w in names):
                return ""
        return WANTED[q.asks]


def seen_text(hits: list[Hit], registry: dict[str, Source]) -> str:
    """What the reader sees of these passages: their words, and their documents' names."""
    docs = dict.fromkeys(h.passage.doc_id for h in hits)
    return " ".join([f"{h.passage.context} {h.passage.text}" for h in hits]
                    + [f"{registry[d].title} {' '.join(registry[d].aliases)}" for d in docs if d in registry])


def runs(q: Query, names: set[str]) -> list[str]:
    """The runs of capitalised words the names stand in: "Open Data Project", not "Project"."""
    found = [run for run in q.name_runs if any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", run) for n in names)]
    # (a name in small letters, "the sixth session", is its own run)
    return found + [n for n in names if not any(n in run for run in found) and not n[:1].isupper() and not n.isdigit()]


def _root(name: str) -> str:
    """A name without the ending of its adjective or plural, "Kenyan" -> "kenya"; a year whole."""
    name = name.lower()
    return name if name.isdigit() or len(name) <= 5 else name[:max(5, len(name) - 3)]


def _has_prefix(words: list[str], prefix: str) -> bool:
    i = bisect.bisect_left(words, prefix)
    return i < len(words) and words[i].startswith(prefix)


def speaks_of(text: str, name: str) -> bool:
    """A name by the start of a word: "Kenyan" in "Kenya", "Rwanda" in "Rwandan"; a year whole;
    a numbered name with its number."""
    if numbered := NUMBER_OF.match(name):
        word, number = numbered.groups()
        return bool(re.search(rf"\b{re.escape(_root(word))}\w*\s+(?:no\.?\s*)?{number}\b", text.lower()))
    return bool(re.search(rf"\b{re.escape(_root(name))}" + (r"\b" if name.isdigit() else ""), text.lower()))
