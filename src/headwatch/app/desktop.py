"""What a desktop front end (the tray) must know before its toolkit starts: whether Qt can open
its platform here. Asked before Qt creates its application, since Qt aborts the whole process
(SIGABRT) where it cannot."""

from __future__ import annotations

from typing import TYPE_CHECKING

from headwatch.errors import HeadwatchError

if TYPE_CHECKING:
    from headwatch.system.qt_platform import PlatformProblem


def tray_problem() -> PlatformProblem | None:
    """Why the tray cannot start here (its line says what to do); None when it can."""
    from headwatch.system.qt_platform import platform_problem

    return platform_problem()


def check_tray_can_start() -> None:
    """Raise HeadwatchError with one line where Qt would abort."""
    problem = tray_problem()
    if problem is not None:
        raise HeadwatchError(f"the tray cannot start: {problem.line}")
