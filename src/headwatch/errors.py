"""Errors that reach the user as one line each (the CLI prints them without a traceback)."""


class HeadwatchError(Exception):
    """A problem the user can fix; the message says what is wrong and what to do."""


class ModelError(HeadwatchError):
    """The pose model file is missing, corrupt or not a pose landmarker."""


class SourceError(HeadwatchError):
    """A video, image, camera or stream cannot be opened or read."""
