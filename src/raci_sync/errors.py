"""The exceptions raci-sync raises, named by what the caller should do next.

    RaciError                      base: a message meant for a person, never a traceback
    ├── ConfigError                the config file is wrong: fix it (exit 2); carries every problem
    ├── StoreError                 the store cannot be opened or written (exit 2)
    │   └── NoDataError            there is no store at the configured path (exit 3)
    ├── LockedError                another run holds the lock (exit 4)
    ├── EmailError                 the weekly email could not be sent: fix the [email] settings
    └── SourceError                one source failed; the others go on (exit 3)
        ├── AuthError              401/403: the token is wrong or lacks access: stop, fix the token
        ├── NotFoundError          404, or a configured board/project is missing: fix the scope
        ├── RetryableError         429, 5xx, dropped connection: wait ``wait`` s, try again
        └── ResponseError          the API answered something we cannot read: stop, report it

No message ever holds a token: the HTTP layer builds messages from sanitised URLs only.
"""

from __future__ import annotations


class RaciError(Exception):
    """Base of every error raci-sync reports to a person."""


class ConfigError(RaciError):
    """The configuration is invalid; ``problems`` lists every problem with its key path."""

    def __init__(self, problems: list[str], path: str | None = None) -> None:
        self.problems = list(problems)
        self.path = path
        where = f" in {path}" if path else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s){where}:\n{lines}")


class StoreError(RaciError):
    """The store could not be opened, migrated or written."""


class NoDataError(StoreError):
    """Reports found no store at the configured path: nothing was ever synced there."""


class LockedError(RaciError):
    """Another raci run holds the lock."""


class EmailError(RaciError):
    """The SMTP server could not be reached, refused the login or refused the message."""


class SourceError(RaciError):
    """A source could not be read completely; its last good snapshot stays."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        super().__init__(message)


class AuthError(SourceError):
    """The API refused the credentials (401) or the scope (403)."""


class NotFoundError(SourceError):
    """A configured board, project or workspace does not exist or is not visible."""


class RetryableError(SourceError):
    """A passing failure (rate limit, server error, dropped connection); ``wait`` is a hint in s."""

    def __init__(self, message: str, *, wait: float | None = None, source: str | None = None):
        self.wait = wait
        super().__init__(message, source=source)


class ResponseError(SourceError):
    """The API answered with something that is not what its spec describes."""
