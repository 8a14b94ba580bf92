"""Errors that reach the user as one line each (the CLI prints them without a traceback)."""


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
