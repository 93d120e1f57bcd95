"""The panes of the chat screen."""

from .conversation import Conversation, ExchangeView, Turn
from .filters import FilterPanel
from .question import QuestionInput, StatusLine
from .sources import SourcesList, SourcesPane

__all__ = ["Conversation", "ExchangeView", "FilterPanel", "QuestionInput", "SourcesList", "SourcesPane", "StatusLine", "Turn"]
