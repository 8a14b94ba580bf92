"""Errors that reach the user as one line each (the CLI prints them without a traceback)."""

import re

# Control characters (C0 but tab, DEL, C1): in a file name they would retitle the terminal (an
# OSC sequence), move the cursor or start a forged line of their own.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: every control character shown as an escape (\\x1b, \\n)."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def without_password(source: str) -> str:
    """A stream URL as it may be shown or stored: ``rtsp://alice:***@host/`` for
    ``rtsp://alice:S3cret@host/`` (the status line, errors, the history, --events). Anything else as it is."""
    scheme, found, rest = source.partition("://")
    if not found:
        return source
    authority, slash, path = rest.partition("/")
    credentials, at, host = authority.rpartition("@")
    if not at or ":" not in credentials:
        return source
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}{slash}{path}"


class HeadwatchError(Exception):
    """A problem the user can fix; the message says what is wrong and what to do."""


class ModelError(HeadwatchError):
    """The pose model file is missing, corrupt or not a pose landmarker."""


class SystemLibraryError(HeadwatchError):
    """MediaPipe's native library, or a system library it links (EGL, GLES), cannot be loaded."""


class SourceError(HeadwatchError):
    """A video, image, camera or stream cannot be opened or read."""


# What reading a damaged or hand-edited JSON document into typed objects can raise (a string
# where a table belongs, a 400-digit number, thousands of nested lists): loaders turn these into
# one HeadwatchError line.
MALFORMED_DATA = (ValueError, KeyError, TypeError, AttributeError, ArithmeticError, RecursionError)


class UsageError(HeadwatchError):
    """Options that cannot go together or name what is not there (the command line exits with 2)."""
