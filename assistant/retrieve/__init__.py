"""Hybrid retrieval as stages: candidate generators (candidates.py: dense all-MiniLM-L6-v2, BM25,
articles by number) feed reciprocal-rank fusion (fusion.py), then the rerank stages named in
`settings.retrieval.stages` run in order (rerank.py re-scores by the structure parsed at ingestion,
order.py keeps documents and groups in view), each adding typed `Reason`s to the hits it moves.
stages.py holds the `Stage` protocol and the registry a new stage is added to.

An article number named without a document ("What does Article N say?") brings that article from
every indexed document that has one, each labelled, rather than silently one treaty."""

from .retriever import Retrieval, Retriever, names_it
from ..registry import STAGES
from .stages import Corpus, Pool, Stage, register

__all__ = ["STAGES", "Corpus", "Pool", "Retrieval", "Retriever", "Stage", "names_it", "register"]
