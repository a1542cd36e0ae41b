"""Errors that carry context: which file, where in it, what was wrong and what to do.

The CLI prints ``str(error)`` on one line and exits 1; anything that is not a
:class:`KlantvraagError` is a bug and keeps its traceback.
"""

from __future__ import annotations


class KlantvraagError(Exception):
    """Base class for errors a user can act on."""

    def __init__(self, message: str, *, path: str | None = None, where: str | None = None,
                 hint: str | None = None) -> None:
        self.message = message
        self.path = path
        self.where = where
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        location = ""
        if self.path:
            location = f"{self.path}"
            if self.where:
                location += f" ({self.where})"
            location += ": "
        text = f"{location}{self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return text


class InputFileError(KlantvraagError):
    """An input file cannot be read: recorded in ``sources`` with status 'error' and skipped."""


class ConfigError(KlantvraagError):
    """The config file or an option is invalid."""


class ResourceError(KlantvraagError):
    """A data file under pipeline/resources (or an analyst's own) is invalid."""


class StoreError(KlantvraagError):
    """The DuckDB file cannot be opened or upgraded."""


class StageInputMissing(KlantvraagError):
    """A stage found its input tables empty: an earlier stage has not run yet."""


class NotFittedError(KlantvraagError):
    """A model was used before it was fitted or loaded."""
