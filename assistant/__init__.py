"""treaty-assistant: review a treaty text against human-rights law, every claim traced to a passage."""

from . import offline

# Before any library that could reach a hub, phone home or draw a progress bar is imported, whatever
# part of the package is used first (the CLI, the TUI, the tests or a script).
offline.enforce()

__version__ = "0.1.0"

# Bumped whenever the shape of passages, their ids or the index layout changes: an index built under
# another schema is refused with a message telling the user to rebuild it.
SCHEMA_VERSION = 5  # 2: short articles are one passage with paragraph parts; 3: vectors lean toward plain words; 4: the stemmer drops a final "e"; 5: provisions.jsonl, lettered sub-paragraphs as parts
