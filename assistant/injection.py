"""Passages that address their reader with instructions, as a prompt-injection attack does ("ignore all
previous instructions and ..."). Such a passage is flagged, never dropped: it may be an attack planted
in a document, or a document quoting one, and the analyst decides which. The answer quotes it as the
document's words, marked `suspicious` in the JSON, the terminal, the TUI and the memo, with a note."""

from __future__ import annotations

import re

# What instructions to an AI model or to whoever reads the text look like. Treaties, submissions and
# UN reports speak of States, rights and procedures; none of them addresses its reader in these words
# (none of the shared corpus's passages matches). Words are separated by any whitespace; case is folded.
INSTRUCTION_PHRASES = (
    r"ignore (?:all |any )?(?:of )?(?:the |your |my |these )?(?:previous|prior|above|earlier|preceding|foregoing|other|original) "
    r"(?:instructions?|prompts?|rules|directions|guidelines|context)",
    r"ignore (?:all |any )?(?:of )?(?:your|the system'?s?) (?:instructions?|prompts?|rules|guidelines)",
    r"disregard (?:all |any )?(?:of )?(?:the |your )?(?:previous |prior |above |earlier |preceding |original )?"
    r"(?:instructions?|prompts?|rules|directions|guidelines)",
    r"disregard (?:all of |everything )?(?:the )?(?:text |instructions )?above",
    r"forget (?:all |everything )?(?:of )?(?:your |the )?(?:previous |prior |above )?(?:instructions?|rules|guidelines)",
    r"(?:new|updated|real|actual) instructions ?:",
    r"you are now (?:a|an|in|the|my|no longer|free|DAN)\b",
    r"system prompt",
    r"(?:reveal|print|show|repeat|output) (?:me )?(?:your|the) (?:system |original )?(?:prompt|instructions)",
    r"(?:do not|don't) (?:follow|obey) (?:your|the) (?:previous |original |above )?(?:instructions?|rules|guidelines)",
    r"(?:reply|respond|answer) only with",
    r"(?:note to|attention|dear|hey) (?:the |any |all )?(?:AI|LLM|language model|chatbot|AI assistant)s?\b",
    r"<\|im_(?:start|end)\|>|\[/?INST\]|<</?SYS>>",  # the control tokens of chat templates
)
_INSTRUCTIONS = re.compile("|".join("(?:" + p.replace(" ", r"\s+") + ")" for p in INSTRUCTION_PHRASES), re.IGNORECASE)


def instructions_in(text: str) -> str:
    """Why `text` is suspicious ("addresses the reader with instructions: “ignore previous
    instructions”"), or "" when it reads as a document's own words."""
    m = _INSTRUCTIONS.search(text)
    return f"addresses the reader with instructions: “{' '.join(m.group(0).split())}”" if m else ""
