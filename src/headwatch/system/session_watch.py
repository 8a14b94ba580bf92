"""Whether anybody can be watched: a locked screen or a sleeping machine means nobody at the desk,
so the camera goes off (its light too) until the person is back; so does a session the desktop
calls idle (logind's ``IdleHint``, set as the screen blanks).

Linux tells it over D-Bus: logind (system bus) announces a suspend with ``PrepareForSleep(true)``
and the wake with ``PrepareForSleep(false)``, and keeps ``LockedHint`` on the user's session; the
desktop's screen saver (session bus: ``org.freedesktop.ScreenSaver`` on KDE and Xfce,
``org.gnome.ScreenSaver`` on GNOME) says ``ActiveChanged(true)`` when it locks. Signals are heard
on a thread of its own; ``away()`` only reads what they said. Where there is no bus, nothing is
heard and the camera is kept as before. macOS (NSWorkspace's screensDidSleep, the distributed
com.apple.screenIsLocked) and Windows (WTS_SESSION_LOCK) have their own session notifications,
not wired here yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

log = logging.getLogger("headwatch")

SCREEN_SAVERS = ("org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver")  # name = interface = path's dots
LOGIN = "org.freedesktop.login1"
MANAGER = "org.freedesktop.login1.Manager"
SESSION = "org.freedesktop.login1.Session"
CONNECT_TIMEOUT_S = 5.0
BUS = "org.freedesktop.DBus"


class SessionWatch:
    """``away()``: "asleep", "screen locked", "idle" (the desktop says so), or None while someone
    may be at the desk."""

    def __init__(self) -> None:
        self._asleep = False
        self._screen_saver = False
        self._locked_hint = False
        self._idle_hint = False
        self._session_path: str | None = None
        self._buses: list[Any] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="headwatch-session", daemon=True)
        self._thread.start()
        for connect in (self._session_bus, self._system_bus):
            try:
                asyncio.run_coroutine_threadsafe(connect(), self._loop).result(CONNECT_TIMEOUT_S)
            except Exception as exc:  # no such bus, no logind: that part is not heard
                log.debug(f"session watch: {connect.__name__}: {exc}")

    def away(self) -> str | None:
        if self._asleep:
            return "asleep"
        if self._screen_saver or self._locked_hint:
            return "screen locked"
        if self._idle_hint:
            return "idle"
        return None

    async def _session_bus(self) -> None:
        from dbus_fast import BusType
        from dbus_fast.aio import MessageBus

        bus = await MessageBus(bus_type=BusType.SESSION).connect()
        self._buses.append(bus)
        await self._listen(bus, SCREEN_SAVERS)
        for name in SCREEN_SAVERS:
            await _add_match(bus, f"type='signal',sender='{name}',interface='{name}',member='ActiveChanged'")
            with contextlib.suppress(Exception):  # not this desktop's screen saver
                reply = await _call(bus, name, "/" + name.replace(".", "/"), name, "GetActive")
                self._screen_saver = self._screen_saver or bool(reply[0])

    async def _system_bus(self) -> None:
        from dbus_fast import BusType
        from dbus_fast.aio import MessageBus

        bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
        self._buses.append(bus)
        await self._listen(bus, (LOGIN,))
        await _add_match(bus, f"type='signal',sender='{LOGIN}',interface='{MANAGER}',member='PrepareForSleep'")
        # The user's graphical session ("auto": this process's, or the user's display session).
        (path,) = await _call(bus, LOGIN, "/org/freedesktop/login1", MANAGER, "GetSession", "s", ["auto"])
        self._session_path = path
        await _add_match(bus, f"type='signal',sender='{LOGIN}',interface='org.freedesktop.DBus.Properties',"
                              f"member='PropertiesChanged',path='{path}'")
        for name in ("LockedHint", "IdleHint"):
            (hint,) = await _call(bus, LOGIN, path, "org.freedesktop.DBus.Properties", "Get", "ss", [SESSION, name])
            self._hint(name, hint.value)

    async def _listen(self, bus: Any, names: tuple[str, ...]) -> None:
        """Hear ``bus``'s signals from the present owners of ``names`` only. A signal sent straight
        to this connection passes every match rule, and a bus lets anybody send one: another user
        could say "asleep" and keep the monitor off. Who owns a name only the bus itself says."""
        owners: dict[str, str] = {}
        bus.add_message_handler(lambda message: self._heard(message, owners))
        for name in names:
            await _add_match(bus, f"type='signal',sender='{BUS}',interface='{BUS}',member='NameOwnerChanged',"
                                  f"arg0='{name}'")
            with contextlib.suppress(Exception):  # not running now: its NameOwnerChanged will say when
                (owners[name],) = await _call(bus, BUS, "/org/freedesktop/DBus", BUS, "GetNameOwner", "s", [name])

    def _heard(self, message: Any, owners: dict[str, str]) -> None:
        from dbus_fast import MessageType

        if message.message_type is not MessageType.SIGNAL:
            return
        if message.member == "NameOwnerChanged" and message.sender == BUS and message.interface == BUS:
            name, _, owner = message.body
            if owner:
                owners[name] = owner
            else:
                owners.pop(name, None)
        elif message.member == "ActiveChanged" and message.interface in SCREEN_SAVERS:
            if message.sender == owners.get(message.interface):
                self._screen_saver = bool(message.body[0])
        elif message.sender != owners.get(LOGIN):
            return
        elif message.member == "PrepareForSleep" and message.interface == MANAGER:
            self._asleep = bool(message.body[0])
        elif (message.member == "PropertiesChanged" and message.path == self._session_path
              and message.body[0] == SESSION):
            for name, value in message.body[1].items():
                self._hint(name, value.value)

    def _hint(self, name: str, value: object) -> None:
        """The session's LockedHint and IdleHint (the desktop sets the idle one when it blanks)."""
        if name == "LockedHint":
            self._locked_hint = bool(value)
        elif name == "IdleHint":
            self._idle_hint = bool(value)

    def close(self) -> None:
        for bus in self._buses:
            self._loop.call_soon_threadsafe(bus.disconnect)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


async def _call(bus: Any, destination: str, path: str, interface: str, member: str, signature: str = "",
                body: list[Any] | None = None) -> list[Any]:
    from dbus_fast import Message, MessageType

    reply = await bus.call(Message(destination=destination, path=path, interface=interface, member=member,
                                   signature=signature, body=body or []))
    if reply is None or reply.message_type is not MessageType.METHOD_RETURN:
        raise RuntimeError(f"{destination} {member}: {reply.error_name if reply is not None else 'no answer'}")
    return list(reply.body)


async def _add_match(bus: Any, rule: str) -> None:
    await _call(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "AddMatch", "s",
                [rule])
