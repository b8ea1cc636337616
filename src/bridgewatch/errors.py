"""The exception family every bridgewatch error derives from.

Input errors carry the file, line and field they are about; configuration errors name the
field, the value given and what is allowed. Non-convergence is a warning, not a crash.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AuthenticationError",
    "BridgewatchError",
    "ConfigError",
    "ConflictError",
    "ConvergenceWarning",
    "InputError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
]


class BridgewatchError(Exception):
    """Base class of every error raised by bridgewatch."""


class InputError(BridgewatchError, ValueError):
    """Bad input data: names the file, the 1-based line (header is line 1) and the field.

    Parameters
    ----------
    message : what is wrong, in a sentence.
    path : the file the bad data came from, if any.
    line : 1-based line number in that file (the header row is line 1), if known.
    field : the column or request field, if known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ConfigError(BridgewatchError, ValueError):
    """A configuration value out of range: names the field, the value and what is allowed."""

    def __init__(self, field: str, value: object, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}={value!r} is not allowed: expected {allowed}")


class NotFoundError(BridgewatchError, LookupError):
    """A referenced entity (note, post, participant, ...) does not exist."""


class PermissionDeniedError(BridgewatchError):
    """The acting participant may not do this (not the author, no writing ability, ...)."""


class ConflictError(BridgewatchError):
    """The request conflicts with stored state (duplicate, already exists, ...)."""


class AuthenticationError(BridgewatchError):
    """No valid credentials (missing, unknown, expired or revoked token or key)."""


class RateLimitedError(BridgewatchError):
    """A per-participant limit is exhausted; ``retry_after_s`` says when to try again.

    Parameters
    ----------
    message : which limit, in a sentence.
    limit_name : a short name of the limit (``ratings_per_minute``, ``daily_notes``, ...).
    retry_after_s : seconds until the limit admits another request.
    """

    def __init__(self, message: str, *, limit_name: str, retry_after_s: int) -> None:
        self.limit_name = limit_name
        self.retry_after_s = retry_after_s
        super().__init__(message)


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped at its iteration cap before reaching its tolerance.

    Parameters
    ----------
    message : what did not converge.
    iterations : how many iterations ran.
    """

    def __init__(self, message: str, iterations: int) -> None:
        self.iterations = iterations
        super().__init__(f"{message} (after {iterations} iterations)")
