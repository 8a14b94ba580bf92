"""Replacing a user's file safely: whole or not at all, through a symlink, keeping its mode and owner."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

# A file headwatch creates that may hold secrets (a config with an --on-alert hook and its token,
# the history): readable by its owner only.
PRIVATE_MODE = 0o600


def replace_text(path: Path, text: str, *, check: Callable[[Path], object] | None = None,
                 new_mode: int = PRIVATE_MODE) -> None:
    """Write ``text`` to ``path`` atomically: a crash leaves the old file or the new one, never half.

    A symlink is written through (the link stays, its target changes); an existing file keeps its
    permission bits and owner; a new one gets ``new_mode``. ``check(temporary)`` may raise to
    refuse the new text before it replaces anything. Line endings are written as given.
    Raises OSError (and whatever ``check`` raises); the temporary file is removed then.
    """
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    existing = target.stat() if target.exists() else None
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else new_mode
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(temporary, mode)  # the umask narrowed what os.open was given
        if existing is not None and hasattr(os, "chown"):
            with contextlib.suppress(OSError):  # only root may give a file away; the mode is what matters
                os.chown(temporary, existing.st_uid, existing.st_gid)
        if check is not None:
            check(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_text_as_written(path: Path) -> str:
    """A text file's content with its line endings as they are (CRLF stays CRLF)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


class NotAFile(ValueError):
    """A path that is a device, a FIFO or a folder, or a file too large to be what it should be."""


def read_small_text(path: Path, limit: int) -> str:
    """A regular file's text, at most ``limit`` bytes. A FIFO or device is refused without waiting
    on it (opened non-blocking, checked before reading): /dev/zero as a config file would be read
    until memory ran out, a FIFO would block forever. Raises OSError, NotAFile, UnicodeDecodeError."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotAFile(f"{path}: not a regular file (a device, a pipe or a folder)")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise NotAFile(f"{path}: larger than {limit // 1024} KiB, which no such file is")
    return data.decode("utf-8")


def user_folder(kind: str) -> Path:
    """headwatch's own folder of a ``kind`` ("config", "data", "cache" or "runtime") for this user,
    where the platform keeps them (platformdirs: ~/.config, ~/.local/share, ~/.cache and
    $XDG_RUNTIME_DIR on Linux; Library/... on macOS; AppData on Windows). The one place that asks."""
    import warnings

    import platformdirs

    if kind == "runtime" and os.environ.get("XDG_RUNTIME_DIR"):  # as the login session set it
        return Path(os.environ["XDG_RUNTIME_DIR"]) / "headwatch"
    find = {"config": platformdirs.user_config_dir, "data": platformdirs.user_data_dir,
            "cache": platformdirs.user_cache_dir, "runtime": platformdirs.user_runtime_dir}[kind]
    with warnings.catch_warnings():  # no XDG_RUNTIME_DIR: platformdirs' own fallback, no warning line
        warnings.simplefilter("ignore")
        return Path(find("headwatch", appauthor=False))


def keep_matplotlib_at_home() -> None:
    """Send matplotlib's config and font cache to headwatch's own cache folder (it would create
    ~/.config/matplotlib and ~/.cache/matplotlib): call before matplotlib is imported. A user's
    own MPLCONFIGDIR wins."""
    if "MPLCONFIGDIR" not in os.environ:
        os.environ["MPLCONFIGDIR"] = str(user_folder("cache") / "matplotlib")
