"""User-facing errors: one line that names the problem and the next step."""


class AssistantError(Exception):
    """Base class; the CLI prints `error: <message>` on one line and exits with `exit_code`."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UsageError(AssistantError):
    exit_code = 2


class UnknownArticle(UsageError):
    """The question names an article that the named (indexed) document does not have."""


class CorpusError(AssistantError):
    """A corpus file is missing, unreadable, binary, empty, too large or not UTF-8."""


class StateDamaged(CorpusError):
    """The corpus state file cannot be read; `treaty corpus repair` rebuilds it."""


class RegistryError(AssistantError):
    """Unknown document id, role or backend name."""


class DataDirError(AssistantError):
    """The data dir is a file, cannot be created, or cannot be written."""


class DiskFull(DataDirError):
    """No space left on the device being written; what was there before is unchanged."""


class IndexMissing(AssistantError):
    exit_code = 3


class IndexMismatch(AssistantError):
    exit_code = 3


class IndexCorrupt(AssistantError):
    exit_code = 3


class EmbedderError(AssistantError):
    pass


class EvalError(AssistantError):
    pass


class FetchError(AssistantError):
    """A registered document could not be downloaded from its official address, or was not accepted."""

    exit_code = 4


class BackendError(AssistantError):
    """A language-model backend that is not installed, not running, or refuses."""

    exit_code = 5
