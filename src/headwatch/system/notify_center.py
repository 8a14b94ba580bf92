"""The desktop's notification centre through desktop-notifier (D-Bus on Linux, the Notification
Center on macOS, toasts on Windows): headwatch's icon, one alert on screen at a time (a repeat or
the recovery replaces it), and buttons (Snooze, Pause) where the desktop shows them.

desktop-notifier is asynchronous and needs a running event loop to hear a button pressed, so this
notifier keeps one on a thread of its own; ``notify`` hands the event over and returns at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import sys
import threading
from collections.abc import Callable, Coroutine, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from headwatch.types import AlertEvent, EventKind

log = logging.getLogger("headwatch")
TITLE = "headwatch"
PROBE_TIMEOUT_S = 3.0
RECOVERY_SHOWN_S = 6  # the "good again" note goes away by itself


def markup_safe(text: str, markup: bool) -> str:
    """The body as a server that parses markup reads it: ``<``, ``>`` and ``&`` as entities, so
    ``ear/face 0.99 < 1.35`` is shown whole instead of cut at the ``<`` (or refused)."""
    return html.escape(text, quote=False) if markup else text


async def server_takes_markup() -> bool | None:
    """Whether the freedesktop notification server on the session bus parses the body as markup
    (it lists ``body-markup`` among its capabilities: GNOME Shell, KDE and dunst do); None when
    no server answers yet. Only Linux and the BSDs have one; macOS and Windows take plain text."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return False
    from dbus_fast import Message, MessageType
    from dbus_fast.aio import MessageBus

    bus = await MessageBus().connect()
    try:
        reply = await bus.call(Message(destination="org.freedesktop.Notifications",
                                       path="/org/freedesktop/Notifications",
                                       interface="org.freedesktop.Notifications", member="GetCapabilities"))
    finally:
        bus.disconnect()
    if reply is None or reply.message_type is not MessageType.METHOD_RETURN:
        return None
    return "body-markup" in reply.body[0]


def icon_path() -> Path:
    """headwatch's icon (a PNG beside this module, in the wheel too)."""
    return Path(str(files("headwatch.system") / "icons" / "headwatch.png"))


class NotificationCenter:
    """Sends events as desktop notifications. ``buttons`` maps a button's title to what pressing it
    does (called on this notifier's thread: it must be thread-safe); they go on bad-posture alerts."""

    def __init__(self, message_for: Callable[[AlertEvent], str],
                 buttons: Mapping[str, Callable[[], None]] | None = None) -> None:
        from desktop_notifier import DesktopNotifier, Icon

        self.message_for = message_for
        self.buttons = dict(buttons or {})
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="headwatch-notifications", daemon=True)
        self._thread.start()
        self._notifier = DesktopNotifier(app_name=TITLE, app_icon=Icon(path=icon_path()))
        self._alert: str | None = None  # the alert on screen, replaced by the next one or the recovery
        self._pending: list[Any] = []
        self._order: asyncio.Lock | None = None  # made on the loop's thread, where it is used
        self._markup: bool | None = None  # whether the server parses the body as markup; asked once

    def _run(self, work: Coroutine[Any, Any, Any]) -> Any:
        future = asyncio.run_coroutine_threadsafe(work, self._loop)
        self._pending = [f for f in self._pending if not f.done()] + [future]
        return future

    def available(self) -> bool:
        """Whether a notification service answers (on Linux: a daemon on the session's D-Bus)."""
        try:
            capabilities = self._run(self._notifier.get_capabilities()).result(PROBE_TIMEOUT_S)
        except Exception as exc:  # no session bus, no daemon, a refusal: said by the caller
            log.debug(f"desktop notifications: {exc}")
            return False
        return bool(capabilities)

    def notify(self, event: AlertEvent) -> None:
        self._run(self._show(event))

    async def _show(self, event: AlertEvent) -> None:
        # One at a time, in order: a repeat sent while the first alert is on its way must still
        # find it to replace.
        if self._order is None:
            self._order = asyncio.Lock()
        async with self._order:
            await self._replace_and_send(event)

    async def _replace_and_send(self, event: AlertEvent) -> None:
        from desktop_notifier import Button, Urgency

        if self._alert is not None and event.kind in (EventKind.BAD_POSTURE, EventKind.POSTURE_RECOVERED):
            with contextlib.suppress(Exception):  # already gone: dismissed, or closed by its button
                await self._notifier.clear(self._alert)  # replaced, not piled up
            self._alert = None
        if self._markup is None:
            try:  # None (no answer yet): asked again next time
                self._markup = await server_takes_markup()
            except Exception as exc:  # no bus: the sending says more
                log.debug(f"desktop notifications: the server's capabilities: {exc}")
        message = markup_safe(self.message_for(event), self._markup is True)
        if event.kind is EventKind.BAD_POSTURE:
            buttons = [Button(title, on_pressed=press) for title, press in self.buttons.items()]
            self._alert = await self._notifier.send(TITLE, message, urgency=Urgency.Normal, buttons=buttons)
        elif event.kind is EventKind.POSTURE_RECOVERED:
            await self._notifier.send(TITLE, message, urgency=Urgency.Low, timeout=RECOVERY_SHOWN_S)
        else:
            await self._notifier.send(TITLE, message)

    def close(self, timeout_s: float = 5.0) -> None:
        """Deliver what is on its way, then stop the thread."""
        for future in self._pending:
            with contextlib.suppress(Exception):
                future.result(timeout_s)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout_s)
