"""The library's own exception types; the CLI turns them into one-line messages."""

from __future__ import annotations


class NewsletterError(Exception):
    """Something the user can fix; the message is one sentence naming the file."""


class UsageError(NewsletterError):
    """The command was called wrongly (unknown style, bad flag value): exit code 2."""


class WriteError(NewsletterError):
    """A file could not be written; nothing on disk was changed."""


class InterruptedAfterWriting(KeyboardInterrupt):
    """Ctrl-C came while files were being put in place, which a half-done change would
    leave neither old nor new: they were all put in place first. The message says what
    was written."""
