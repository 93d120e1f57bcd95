"""Following the law's own references: a candidate passage whose provision is "subject to Articles
14 and 15" brings the provisions it names into the candidates, and a candidate that another
provision names ("No derogation from articles 6, 7, ... 18") brings that provision, each with a
`Reason` ("art. 20(4) → subject to art. 15"). The references are the ones read at index time
(`assistant/provisions`, stored as provisions.jsonl).

A followed provision joins with a small weight; it gets more when the question asks about conditions,
safeguards, oversight, exceptions, limits or derogation (the list in provisions/safeguards.toml) and
the provision speaks of a safeguard: that is where the law puts the answer to such a question."""

from __future__ import annotations

from dataclasses import dataclass

from ..provisions.crossrefs import parse_locator
from ..provisions.vocabulary import asks_conditions
from ..records import Passage, Provision, Query, Reason
from ..settings import Settings
from .stages import Corpus, Pool, register, unit


@dataclass(frozen=True, slots=True)
class Link:
    """One reference between two passages: `source` refers to `target` by `words`."""

    source: int
    target: int
    says: str  # "art. 20(4) → subject to art. 15"
    # the provision on the far side conditions this one and speaks of a safeguard: what a question
    # about conditions or derogation is answered by
    conditions: bool


@register("crossref-follow")
class CrossRefFollow:
    def __init__(self, settings: Settings, corpus: Corpus):
        self.r = settings.retrieval
        self.corpus = corpus
        self.unit = unit(settings)
        self._links: dict[int, list[Link]] | None = None

    def __call__(self, query: Query, pool: Pool) -> Pool:
        links = self.links()
        if not links:
            return pool
        cue = asks_conditions(query.text)
        sources = pool.ranking()[:self.r.follow_depth]
        best: dict[int, tuple[float, Link]] = {}
        for i in sources:
            # a reference weighs as much as the passage making it: the first place's in full
            share = float(pool.scores[i] / pool.scores[sources[0]])
            for link in links.get(i, ()):
                j = link.target
                conditions = bool(cue) and link.conditions
                # a passage already in the first places joins nothing, but may still be what conditions another
                if not pool.allowed[j] or (j in sources and not conditions):
                    continue
                weight = share * (self.r.follow_conditions_bonus if conditions else self.r.follow_bonus)
                if weight > best.get(j, (0.0, None))[0]:
                    best[j] = (weight, link)
        for j, (weight, link) in best.items():
            pool.add(j, Reason(self.name, "crossref-follow", link.says, weight * self.unit))
        return pool

    def links(self) -> dict[int, list[Link]]:
        """Each passage's references, both ways, built once from the stored provisions."""
        if self._links is None:
            self._links = build_links(self.corpus.provisions(), self.corpus.passages)
        return self._links


# A provision "subject to" or applied "in accordance with" another is conditioned by the one it names;
# one that names others in any other way ("No derogation from articles 6, 7 ...", "referred to in")
# says something about them, and so conditions them.
CONDITIONED_BY_TARGET = frozenset({"subject-to", "in-accordance-with"})


def build_links(provisions: list[Provision], passages: list[Passage]) -> dict[int, list[Link]]:
    rows = {p.id: i for i, p in enumerate(passages)}
    tagged = {p.passage_id for p in provisions if p.safeguards}
    by_locator = {(p.doc_id, _short(p.locator)): p for p in provisions}
    out: dict[int, list[Link]] = {}
    for prov in provisions:
        i = rows.get(prov.passage_id)
        if i is None:
            continue
        here = _short(prov.locator)
        for ref in prov.crossrefs:
            for target in ref.targets:
                named, article = by_locator.get((prov.doc_id, target)), parse_locator(target)[0]
                for pid in ref.passage_ids:
                    j = rows.get(pid)
                    if j is None or j == i or article != passages[j].article:
                        continue
                    forward = ref.kind in CONDITIONED_BY_TARGET
                    far = bool(named.safeguards) if named else pid in tagged
                    out.setdefault(i, []).append(Link(i, j, f"{here} → {ref.words}", forward and far))
                    out.setdefault(j, []).append(Link(j, i, f"{target} ← {here}: {ref.words}",
                                                      not forward and bool(prov.safeguards)))
    return out


def _short(locator: str) -> str:
    """"Budapest Convention, art. 20(4), p. 3" -> "art. 20(4)"."""
    return next((x.strip() for x in locator.split(",") if x.strip().startswith("art. ")), locator)

