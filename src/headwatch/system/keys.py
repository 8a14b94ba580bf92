"""Single keys typed in the monitor's terminal (`p` pause/resume, `s` snooze), read without Enter
and without echo, in a background thread. Only when standard input is a terminal; the terminal's
settings are restored on close."""

from __future__ import annotations

import os
import queue
import sys
import threading
from typing import Any


class TerminalKeys:
    """``get()`` returns a key typed since the last call, or None. A no-op off a terminal."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stdin
        self._keys: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        self._saved: Any = None
        self.active = bool(getattr(self.stream, "isatty", lambda: False)())
        if not self.active:
            return
        if os.name == "posix":
            import termios
            import tty

            fd = self.stream.fileno()
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)  # keys arrive one by one, Ctrl-C still interrupts
        threading.Thread(target=self._read, daemon=True, name="headwatch-keys").start()

    def _read(self) -> None:
        while not self._stop.is_set():
            key = self._next_key()
            if key:
                self._keys.put(key.lower())

    def _next_key(self) -> str | None:
        if os.name == "posix":
            import select

            ready, _, _ = select.select([self.stream], [], [], 0.2)
            return os.read(self.stream.fileno(), 1).decode(errors="ignore") if ready else None
        import msvcrt  # Windows

        if msvcrt.kbhit():  # type: ignore[attr-defined,unused-ignore]
            return str(msvcrt.getwch())  # type: ignore[attr-defined,unused-ignore]
        self._stop.wait(0.2)
        return None

    def get(self) -> str | None:
        try:
            return self._keys.get_nowait()
        except queue.Empty:
            return None

    def close(self) -> None:
        self._stop.set()
        if self._saved is not None:
            import termios

            termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)
            self._saved = None
