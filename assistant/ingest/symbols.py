"""UN document symbols (A/AC.291/19, A/RES/77/211, A/HRC/38/47, CCPR/C/GC/16, CEDAW/C/GC/35,
A/AC.291/L.15): how the PDF, HTML and DOCX loaders recognise the document a file is."""

from __future__ import annotations

import re

_SEGMENT = r"(?:[A-Z]{1,8}(?:\.\d+)?|\d+(?:\.\d+)?|(?:Add|Rev|Corr|Amend)\.\d+)"
SYMBOL = re.compile(rf"(?<![\w/.\-])([A-Z]{{1,6}}(?:/{_SEGMENT}){{2,}})(?![\w/])")


def find_symbol(texts: list[str], *, short_only: bool = True) -> str:
    """The first UN symbol standing on its own in `texts` (a cover line, a heading, a header): a symbol
    quoted inside a sentence names another document, so long texts are skipped unless `short_only` is off."""
    for text in texts:
        text = " ".join(text.split())
        if short_only and len(text) > 80:
            continue
        for m in SYMBOL.finditer(text):
            symbol = m.group(1).rstrip(".-")
            if any(c.isdigit() for c in symbol):
                return symbol
    return ""
