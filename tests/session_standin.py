"""Stands in for the desktop's screen locker (org.freedesktop.ScreenSaver on the session bus) and
for logind (org.freedesktop.login1 on the bus DBUS_SYSTEM_BUS_ADDRESS names), for tests that
cannot lock a real screen or suspend the machine. It speaks their D-Bus interfaces as they do,
and obeys one word a line on its standard input: lock, unlock (the screen saver), lockhint,
unlockhint (the session's LockedHint), idle, active (its IdleHint), sleep, wake
(PrepareForSleep). It answers "ready" once its names are taken, then "ok" after each word.

    python tests/session_standin.py
"""

import asyncio
import sys

from dbus_fast import BusType, PropertyAccess
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, dbus_property, method, signal

SESSION_PATH = "/org/freedesktop/login1/session/c1"


class ScreenSaver(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.freedesktop.ScreenSaver")
        self.active = False

    @method()
    def GetActive(self) -> "b":  # noqa: F821 (D-Bus signatures, as dbus-fast reads them)
        return self.active

    @signal()
    def ActiveChanged(self) -> "b":  # noqa: F821
        return self.active


class Manager(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.freedesktop.login1.Manager")
        self.sleeping = False

    @method()
    def GetSession(self, session_id: "s") -> "o":  # noqa: F821
        return SESSION_PATH

    @signal()
    def PrepareForSleep(self) -> "b":  # noqa: F821
        return self.sleeping


class Session(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.freedesktop.login1.Session")
        self.locked = False
        self.idle = False

    @dbus_property(access=PropertyAccess.READ)
    def LockedHint(self) -> "b":  # noqa: F821
        return self.locked

    @dbus_property(access=PropertyAccess.READ)
    def IdleHint(self) -> "b":  # noqa: F821
        return self.idle


async def main() -> None:
    session_bus = await MessageBus(bus_type=BusType.SESSION).connect()
    system_bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    saver, manager, session = ScreenSaver(), Manager(), Session()
    session_bus.export("/org/freedesktop/ScreenSaver", saver)
    system_bus.export("/org/freedesktop/login1", manager)
    system_bus.export(SESSION_PATH, session)
    await session_bus.request_name("org.freedesktop.ScreenSaver")
    await system_bus.request_name("org.freedesktop.login1")
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while word := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
        if word in ("lock", "unlock"):
            saver.active = word == "lock"
            saver.ActiveChanged()
        elif word in ("lockhint", "unlockhint"):
            session.locked = word == "lockhint"
            session.emit_properties_changed({"LockedHint": session.locked})
        elif word in ("idle", "active"):
            session.idle = word == "idle"
            session.emit_properties_changed({"IdleHint": session.idle})
        elif word in ("sleep", "wake"):
            manager.sleeping = word == "sleep"
            manager.PrepareForSleep()
        await asyncio.sleep(0.05)  # the signal on its way out
        print("ok", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
