"""Files and folders on a machine shared with other users: headwatch's own folders private and
never planted by somebody else, a user's file replaced whole or not at all, and no write that
follows a link another user put in the way."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, cast

from headwatch.errors import HeadwatchError

# A file headwatch creates that may hold secrets (a config with an --on-alert hook and its token,
# the history): readable by its owner only.
PRIVATE_MODE = 0o600
PRIVATE_FOLDER_MODE = 0o700
# A file opened for writing never through a link at its last step (where the system has the flag).
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class UnsafePath(HeadwatchError):
    """A folder or file that another user could have put there, or could change under us."""


def _mine(info: os.stat_result) -> bool:
    return not hasattr(os, "geteuid") or info.st_uid == os.geteuid()


def _check_private_folder(path: Path, *, ours: bool) -> None:
    """Raise UnsafePath unless ``path`` is a real folder (not a link) of this user that no other user
    may write into. ``ours`` (headwatch's own folder): group and other lose any read bits too."""
    if os.name != "posix":  # Windows: the user's profile folders carry the user's own ACL
        return
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise UnsafePath(f"{path}: expected a folder, found a link or a file: another user may have put it "
                         "there; remove it and start again")
    if not _mine(info):
        raise UnsafePath(f"{path}: the folder belongs to another user (uid {info.st_uid}); headwatch keeps its "
                         "files only in folders of your own: remove it, or set XDG_RUNTIME_DIR to one")
    if ours and info.st_mode & 0o022 == 0o020 and info.st_gid == os.getgid():
        # Group-writable by the user's own group (a umask of 002, the default on many desktops,
        # where each user has a group of their own): nobody else could write; narrowed below.
        pass
    elif info.st_mode & 0o022:
        raise UnsafePath(f"{path}: other users may write into this folder (mode {stat.S_IMODE(info.st_mode):o}); "
                         "headwatch keeps its files only in folders of your own: use a private one (chmod 700)")
    if ours and info.st_mode & 0o077:  # a folder of ours that some library made readable (0755)
        os.chmod(path, PRIVATE_FOLDER_MODE)


def make_private_folder(path: Path, *, ours: bool = True) -> None:
    """Create ``path`` (0700) or accept it as it is only once lstat shows it is this user's own:
    never ``exist_ok``, which would take a folder another user made a moment before."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, PRIVATE_FOLDER_MODE)
    _check_private_folder(path, ours=ours)


def make_private_folders(folder: Path) -> None:
    """Create the missing levels of ``folder``, each 0700 (Path.mkdir(parents=True) gives the
    parents the umask's 0755); levels already there are left as they are."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for level in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(level, PRIVATE_FOLDER_MODE)


def private_folder(kind: str) -> Path:
    """headwatch's own folder of a ``kind`` (see user_folder), created private (0700) and checked:
    a real folder of this user that nobody else can write into, below a base folder (the runtime
    directory, or the parents in the home folder) nobody else can write into either. Raises
    UnsafePath (one line saying what is wrong) or OSError."""
    folder = user_folder(kind)
    base = folder.parent
    base.parent.mkdir(parents=True, exist_ok=True)
    if kind == "runtime":  # $XDG_RUNTIME_DIR, or the platform's fallback such as /tmp/runtime-UID
        make_private_folder(base, ours=False)
    else:  # ~/.cache, ~/.local/share and the like, in the home folder
        make_private_folders(base)
    make_private_folder(folder)
    return folder


def writable_target(path: Path) -> Path:
    """The file a write to ``path`` lands in: ``path``, or the target of a link the user made.
    Raises UnsafePath when the link was made by another user or leads to another user's file (in a
    shared folder such a link turns any write of ours into theirs)."""
    try:
        link = os.lstat(path)
    except FileNotFoundError:
        return path
    if not stat.S_ISLNK(link.st_mode):
        return path
    if not _mine(link):
        raise UnsafePath(f"{path}: a link made by another user (uid {link.st_uid}); headwatch does not write "
                         "through it: choose another name")
    target = Path(os.path.realpath(path))
    with contextlib.suppress(FileNotFoundError):
        info = os.stat(target)
        if not _mine(info):
            raise UnsafePath(f"{path}: a link to another user's file ({target}); headwatch does not write "
                             "through it: choose another name")
    return target


def own_target(path: Path) -> Path:
    """writable_target, and an existing file there must be this user's too: a file another user put
    in a shared folder ahead of us (0666) would keep their ownership and hand them what we write."""
    target = writable_target(path)
    with contextlib.suppress(FileNotFoundError):
        if not _mine(os.stat(target)):
            raise UnsafePath(f"{path}: another user's file; headwatch does not write into it: choose another name")
    return target


def open_for_writing(path: Path, *, append: bool = False) -> TextIO:
    """A text file the user named (``--out``, ``--events``, ``--html``) opened for writing: its mode
    follows the user's umask as any tool's output does, a link another user planted is refused,
    and the last step is never followed as a link that appeared after the check."""
    target = writable_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | _NOFOLLOW | (os.O_APPEND if append else os.O_TRUNC)
    descriptor = os.open(target, flags, 0o666)
    return cast(TextIO, os.fdopen(descriptor, "a" if append else "w", encoding="utf-8", newline=""))


def write_text(path: Path, text: str) -> None:
    """Write a whole text file the user named (see open_for_writing)."""
    with open_for_writing(path) as handle:
        handle.write(text)


def create_exclusive(path: Path, text: str = "", mode: int = PRIVATE_MODE) -> None:
    """A new file of headwatch's own (a pid file, a marker): never one that is already there, never
    through a link. FileExistsError when something is in the way."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def replace_text(path: Path, text: str, *, check: Callable[[Path], object] | None = None,
                 new_mode: int = PRIVATE_MODE) -> None:
    """Write ``text`` to ``path`` atomically: a crash leaves the old file or the new one, never half.

    A symlink the user made is written through (the link stays, its target changes); one made by
    another user, or leading to their file, is refused (UnsafePath). An existing file keeps its
    permission bits and owner; a new one gets ``new_mode``. ``check(temporary)`` may raise to
    refuse the new text before it replaces anything. Line endings are written as given.
    Raises OSError (and whatever ``check`` raises); the temporary file is removed then.
    """
    target = writable_target(path)
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


class NotTrusted(ValueError):
    """A file another user could have written, where its text decides what runs (a config file)."""


def foreign_writer(path: Path, info: os.stat_result) -> str | None:
    """Why a file another local user could have written (or replaced) is not to be trusted, or None.
    POSIX only: its owner is somebody else (root aside), anybody or another group may write it,
    or anybody may replace it in its folder (writable by all, not sticky)."""
    if os.name != "posix":
        return None
    if info.st_uid not in (os.getuid(), 0):
        return f"it belongs to another user (uid {info.st_uid})"
    if info.st_mode & stat.S_IWOTH:
        return "any user may write it"
    if info.st_mode & stat.S_IWGRP and info.st_gid != os.getgid():
        return f"group {info.st_gid} may write it"
    folder = os.stat(os.path.dirname(os.path.abspath(path)))
    if folder.st_mode & stat.S_IWOTH and not folder.st_mode & stat.S_ISVTX:
        return "any user may replace it (its folder is writable by all)"
    return None


def read_small_text(path: Path, limit: int, trusted: bool = False) -> str:
    """A regular file's text, at most ``limit`` bytes. A FIFO or device is refused without waiting
    on it (opened non-blocking, checked before reading): /dev/zero as a config file would be read
    until memory ran out, a FIFO would block forever. ``trusted``: also refused where another user
    could have written it (foreign_writer). Raises OSError, NotAFile, NotTrusted, UnicodeDecodeError."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    try:  # before fdopen, which refuses a folder naming the descriptor's number, not the path
        info = os.fstat(descriptor)
    except OSError:
        os.close(descriptor)
        raise
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        raise NotAFile(f"{path}: not a regular file (a device, a pipe or a folder)")
    with os.fdopen(descriptor, "rb") as handle:
        if trusted and (why := foreign_writer(path, info)) is not None:
            raise NotTrusted(f"{path}: not used, as another user could have written it: {why}")
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
        try:
            return Path(find("headwatch", appauthor=False))
        except PermissionError:  # its fallback in /tmp is another user's: private_folder says so
            import tempfile

            return Path(tempfile.gettempdir()) / f"runtime-{os.geteuid()}" / "headwatch"


def keep_matplotlib_at_home() -> None:
    """Send matplotlib's config and font cache to headwatch's own cache folder (it would create
    ~/.config/matplotlib and ~/.cache/matplotlib): call before matplotlib is imported. A user's
    own MPLCONFIGDIR wins."""
    if "MPLCONFIGDIR" not in os.environ:
        folder = user_folder("cache") / "matplotlib"
        with contextlib.suppress(OSError):  # 0700 before matplotlib makes it with the umask's mode
            make_private_folders(folder)
        os.environ["MPLCONFIGDIR"] = str(folder)
