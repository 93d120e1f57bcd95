"""Text from documents and user files, made safe to show: a document must never write to the
analyst's terminal.

A document can hold control characters: raw escapes in Markdown or text, `&#27;` in HTML (decoded
to ESC by the loader), C1 codes in a PDF's text layer. Printed as they are, CSI, OSC and DCS
sequences clear the screen, set the window title or write the clipboard (OSC 52). Two guards:

- at load (`blank_controls`), each control character of a document's text becomes a space, one
  character for one, so every offset the parsers record (spans, pages) stays true to the text the
  passages quote;
- at every output (`printable` for the terminal, the TUI and the memo; `dumps` for JSON), for
  indexes built before that guard, for titles and questions, and for what a language model writes.

Kept: line feed and tab, and every visible character of any script. Shown as visible marks: C0
controls and DEL as their Unicode control pictures ("␛" for ESC), C1 controls as "�". Dropped
from what is shown: the bidirectional overrides and isolates (U+202A-202E, U+2066-2069), which
reorder the text around them on screen ("Trojan Source"); right-to-left text is laid out by the
Unicode bidi algorithm without them."""

from __future__ import annotations

import json
import re

_KEPT = (0x09, 0x0A)
_C0 = [c for c in range(0x20) if c not in _KEPT]
_C1 = range(0x80, 0xA0)
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]

_SHOWN = {c: 0x2400 + c for c in _C0} | {0x7F: 0x2421} | {c: 0xFFFD for c in _C1} | {c: None for c in _BIDI}
_BLANKED = {c: 0x20 for c in (*_C0, 0x7F, *_C1)}
# json.dumps escapes C0 itself; with ensure_ascii=False it writes these as they are.
_JSON_RAW = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` as it may be shown: no control character reaches the screen or the file."""
    return text.translate(_SHOWN)


def printable_all(obj):
    """`printable` applied to every string of a JSON-like object (an answer's `to_json` object), for
    a view that shows many of its fields."""
    if isinstance(obj, str):
        return printable(obj)
    if isinstance(obj, dict):
        return {k: printable_all(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(printable_all(v) for v in obj)
    return obj


def blank_controls(text: str) -> str:
    """A document's text with each control character (but line feed and tab) made a space: the same
    length, so offsets into it hold; whitespace folding then removes the spaces from passages."""
    return text.translate(_BLANKED)


def dumps(obj, **kw) -> str:
    """JSON with non-ASCII text kept readable and every string exact, escaped where printing it raw
    could reach the terminal: C0 by json itself, DEL, C1 and bidi controls as \\uXXXX here (these
    characters occur only inside JSON strings, so the escape changes no value)."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(obj, ensure_ascii=False, **kw))
