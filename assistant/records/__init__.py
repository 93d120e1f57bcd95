"""Typed records that flow between the pipeline stages (load, chunk, index, retrieve, answer, evaluate),
one module per stage's records; import them from here."""

from .answers import SECTION_ROLES, VERDICTS, Answer, AnswerSection, AnswerSentence, Citation, Verdict, answer_text
from .documents import ARTICLE_NUMBER, ROLES, Document, Loaded, Part, Passage, Source
from .hits import Hit, Reason
from .provisions import FORCES, CrossRef, Provision, SafeguardTag
from .query import INTENTS, ArticleRef, LegalAsk, NamedDoc, Query

__all__ = ["ARTICLE_NUMBER", "FORCES", "INTENTS", "ROLES", "SECTION_ROLES", "VERDICTS", "Answer", "AnswerSection",
           "AnswerSentence", "ArticleRef", "Citation", "CrossRef", "Document", "Hit", "LegalAsk", "Loaded", "NamedDoc",
           "Part", "Passage", "Provision", "Query", "Reason", "SafeguardTag", "Source", "Verdict", "answer_text"]
