"""What a text states of the kinds a question may ask for: amounts, judgments, ratifications.

Read in the question, to know what it already says; read in passages, to find one that says more.
These read any text, not a question's phrasing: the rules that decide what a question asks for are
in rules.toml."""

from __future__ import annotations

import re

# A web address in running text (answer.sentences keeps one whole inside a sentence).
ADDRESS = r"(?:https?://|www\.)\S+"
NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
                "|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion")
_NUMBER = rf"(?:\d+|{NUMBER_WORDS})"
# The quantities a legal text states: "ninety days", "three or more persons", "at least every four
# years", "twenty-three experts".
QUANTITY = re.compile(
    rf"\b{_NUMBER}(?:[-, ]{_NUMBER})*\s+(?:or\s+more\s+|[a-z]+\s+)?(?:days?|weeks?|months?|years?|hours?|persons?|members?|experts?"
    rf"|States?|instruments?|per\s*cent|percent)\b|\bevery\s+{_NUMBER}\b|\bage\s+of\s+{_NUMBER}", re.IGNORECASE)

# The words of a web address are not statements: "Available at: https://…/spyware-…-moratorium-sale"
# answers nothing about spyware sales.
URL = re.compile(rf"\b{ADDRESS}")
# A year or a month: a year is no amount.
DATE = re.compile(r"\b(?:1[89]|20)\d\d\b|\b(?:January|February|March|April|May|June|July|August|September|October"
                  r"|November|December)\b")
# An amount is a number followed by what it counts ("650,000 patients", "four years", "twenty-four
# hour"); not an article, paragraph or law number ("Law No. 1042 from October 2020").
_AMOUNT = re.compile(rf"\b(\d{{1,3}}(?:,\d{{3}})+|\d+|(?:{NUMBER_WORDS})(?:-(?:{NUMBER_WORDS}))?)\s+([a-z][a-z\-]*)", re.IGNORECASE)
_NUMBERED = re.compile(r"(?:articles?|art\.|paragraphs?|para\.|no\.|nos\.|sections?|chapters?|pages?|pp?\.|footnotes?"
                       r"|resolution|through)\s*$", re.IGNORECASE)
_NOT_COUNTED = frozenset({"of", "and", "or", "to", "through", "the", "a", "an", "in", "on", "by", "for", "from", "with", "at",
                          "as", "another"})
# A judgment as texts cite one: "X v. Y", "judgment of 12 May 2020", "Application no. 123".
_CASE = re.compile(r"\b[A-Z][\w'’.\-]*(?:\s+(?:and\s+)?[A-Z][\w'’.\-]*)*\s+v\.?\s+(?:the\s+)?[A-Z][\w'’\-]+"
                   r"|\b(?:[Jj]udg(?:e)?ment|[Dd]ecision)\s+of\s+\d{1,2}\s+[A-Z][a-z]+\s+\d{4}|\b[Aa]pplication\s+[Nn]o\.\s*\d+")
_RATIFICATION = re.compile(r"\b(?:ratifi(?:ed|cations?)|acce(?:ded|ssions?)|signed|signator(?:y|ies))\b", re.IGNORECASE)


def status(text: str) -> set[str]:
    return {m.group(0).lower() for m in _RATIFICATION.finditer(URL.sub(" ", text))}


def cases(text: str) -> set[str]:
    return {m.group(0) for m in _CASE.finditer(URL.sub(" ", text))}


def amounts(text: str) -> set[str]:
    text = URL.sub(" ", text)
    return {m.group(1).lower() for m in _AMOUNT.finditer(text)
            if m.group(2).lower() not in _NOT_COUNTED and not DATE.fullmatch(m.group(1))
            and not _NUMBERED.search(text[max(0, m.start() - 12):m.start()])}


# What an answer must state for each kind of ask (`Query.asks`), read from a text.
STATED = {"amount": amounts, "cases": cases, "status": status}
# What the passages lack when none states it, as an abstention says.
WANTED = {"amount": "states a number", "cases": "cites a judgment",
          "status": "records who has ratified or signed (a treaty's own text cannot)"}
