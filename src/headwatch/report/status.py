"""The one-line live status in the terminal, and the end-of-session summary. Text only."""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from headwatch.timeline.session import SessionSummary, Status
from headwatch.types import EventKind, PostureSample, State


def duration_text(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h02m``."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _angle(label: str, value: float | None, signed: bool = False) -> str:
    if value is None:
        return f"{label} -"
    return f"{label} {value:+.0f}°" if signed else f"{label} {value:.0f}°"


def _head(sample: PostureSample | None, change: float | None) -> str:
    """The head-forward angle; against the person's upright where known (what the verdict is about)."""
    if change is not None:
        return f"head {change:+.0f}° vs upright"
    return _angle("head", sample.head_forward_deg if sample else None)


def format_status(status: Status, width: int | None = None, snoozed_s: float = 0.0) -> str:
    """e.g. ``00:12:05  BAD head_forward: ear/face 1.02 < 1.35 (absolute limit)  for 42s  head 34°  ...
    5 fps  [learned]``. Within ``width`` columns the least useful parts go first (pitch, roll, the
    fps, tilt, head), then the text is cut; ``snoozed_s`` left of a snooze is shown, bracketed."""
    clock = duration_text(status.t_s).rjust(6)
    snoozed = f"  [snoozed {duration_text(snoozed_s)}]" if snoozed_s > 0 else ""
    if status.note:
        return _fit([f"{clock}  {status.note}", snoozed], [], width)
    state = status.verdict.state
    if state is State.AWAY:
        return _fit([f"{clock}  AWAY  nobody in view", f"  {status.fps:.0f} fps", snoozed], [1], width)
    if state is State.UNKNOWN:
        return _fit([f"{clock}  ?     head and shoulders not clearly visible", f"  {status.fps:.0f} fps", snoozed],
                    [1], width)
    # Good again, but not yet for good_for_s: the alert is ending, not going on.
    label = ("RECOVERING" if state is State.OK else "ALERT") if status.in_bad_posture else state.value.upper()
    reasons = " " + ",".join(r.value for r in status.verdict.reasons) if status.verdict.reasons else ""
    if status.verdict.findings:  # what decided, in the one wording: the deciding metric, not the 3D angle
        reasons += f": {status.verdict.findings[0].describe()}"
    s = status.sample
    reference = f"  [{short_reference(status.reference)}]" if status.reference else ""
    parts = [f"{clock}  {label}{reasons}", f"  for {duration_text(status.seconds_in_state)}",
             "  " + _head(s, status.head_change_deg),
             "  " + _angle("pitch", s.head_pitch_deg if s else None, signed=True),
             "  " + _angle("tilt", s.shoulder_tilt_deg if s else None, signed=True),
             "  " + _angle("roll", s.head_roll_deg if s else None, signed=True),
             f"  {status.fps:.0f} fps" + (" (still: model resting)" if status.skipped else ""), reference, snoozed]
    return _fit(parts, [3, 5, 6, 4, 2], width)


def _fit(parts: list[str], droppable: list[int], width: int | None) -> str:
    """The parts joined; over ``width``, the ``droppable`` ones (by index, first dropped first)
    leave until it fits, then the text is cut."""
    kept = list(parts)
    for index in droppable:
        if width is None or len("".join(kept)) <= width:
            break
        kept[index] = ""
    text = "".join(kept)
    return text if width is None else text[:width]


def short_reference(description: str) -> str:
    """``learned reference: ...`` -> ``learned``; ``absolute limits (learning ...: 40%)`` -> ``learning 40%``;
    after a set-up change, ``re-learning (camera)`` until the reference has caught up."""
    if "re-learning" in description and "set-up changed (" in description:
        return "re-learning (" + description.split("set-up changed (", 1)[1].split(")", 1)[0] + ")"
    if description.startswith("learned reference"):
        return "learned"
    if "learning" in description:
        return "learning " + description.rsplit(" ", 1)[-1].rstrip(")")
    return description.removesuffix(" limits")


class StatusLine:
    """Rewrites one line on an interactive terminal; elsewhere prints a line per change of state."""

    def __init__(self, stream: TextIO | None = None, enabled: bool = True,
                 columns: Callable[[], int] | None = None, snoozed_s: Callable[[], float] = lambda: 0.0) -> None:
        self.stream = stream or sys.stdout
        self.enabled = enabled  # off with -q: only the summary is printed
        self.columns = columns or (lambda: shutil.get_terminal_size().columns)
        self.snoozed_s = snoozed_s  # what is left of a snooze of notifications
        self.interactive = self.stream.isatty()
        self._last_key: tuple[object, ...] | None = None
        self._width = 0

    def __call__(self, status: Status) -> None:
        if not self.enabled:
            return
        if self.interactive:
            # A line longer than the terminal wraps, and "\r" then rewrites only its last part:
            # fit it to the width the terminal has now (it may have been resized).
            text = format_status(status, max(self.columns() - 1, 10), self.snoozed_s())
            padding = " " * max(0, self._width - len(text))
            self.stream.write("\r" + text + padding)
            self._width = len(text)
        else:
            text = format_status(status, None, self.snoozed_s())
            # What posture is judged against counts as a change too, but not each percent of learning,
            # nor each second of a pause's countdown, nor each minute of a snooze.
            phase = short_reference(status.reference).split(" ")[0] if status.reference else ""
            note = re.sub(r"\d+", "#", status.note) if status.paused else status.note
            key = (status.verdict.state, status.verdict.reasons, status.in_bad_posture, note, phase,
                   self.snoozed_s() > 0)
            if key == self._last_key:
                return
            self._last_key = key
            self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.interactive and self._width:
            self.stream.write("\n")
            self.stream.flush()


def format_summary(summary: SessionSummary) -> str:
    good = summary.good_share
    lines = [
        "session summary",
        f"  monitored        {duration_text(summary.monitored_s)} ({summary.samples} samples"
        + (f", {summary.skipped} of them still: model rested)" if summary.skipped else ")"),
        f"  good posture     {'-' if good is None else f'{good:.0%}'} of the time your posture could be judged",
        f"  in bad posture   {duration_text(summary.seconds['bad'])}",
        f"  away             {duration_text(summary.seconds['away'])}",
        *([f"  paused           {duration_text(summary.paused_s)}"] if summary.paused_s > 0 else []),
        *([f"  camera off       {duration_text(summary.camera_off_s)} (screen locked, asleep, or the camera "
           "lent to another program: not monitored)"] if summary.camera_off_s > 0 else []),
        f"  posture alerts   {summary.count(EventKind.BAD_POSTURE)}",
        f"  break reminders  {summary.count(EventKind.BREAK)}",
        f"  move reminders   {summary.count(EventKind.STILL)}",
    ]
    if summary.reference:
        lines.append(f"  judged against   {summary.reference}")
    return "\n".join(lines)


# The tray's states, each a colour (RGB): the states a glance at the tray should tell apart.
DESK_COLOURS: dict[str, tuple[int, int, int]] = {
    "good": (46, 160, 67),
    "bad": (230, 160, 20),  # bad posture, not yet for bad_for_s: building up to an alert
    "alert": (210, 40, 40),
    "away": (130, 130, 130),
    "paused": (70, 110, 200),
    "learning": (150, 90, 200),
}


@dataclass(frozen=True, slots=True)
class DeskState:
    """What the tray icon shows: a state, its colour and a tooltip that says why."""

    name: str
    tooltip: str

    @property
    def colour(self) -> tuple[int, int, int]:
        return DESK_COLOURS[self.name]


def desk_state(status: Status, snoozed: bool = False) -> DeskState:
    """The tray's state for the latest status: paused wins, then an alert, bad posture building,
    nobody there, learning the person's upright posture, and good."""
    quiet = "; notifications snoozed" if snoozed else ""
    if status.paused:
        return DeskState("paused", f"headwatch: paused{quiet}")
    state, why = status.verdict.state, status.verdict.why()
    if status.in_bad_posture and state is State.BAD:
        return DeskState("alert", f"headwatch: bad posture for {duration_text(status.seconds_in_state)}: {why}{quiet}")
    if state is State.BAD:
        return DeskState("bad", f"headwatch: bad posture for {duration_text(status.seconds_in_state)}: {why}{quiet}")
    if state in (State.AWAY, State.UNKNOWN) or status.note:
        said = status.note or ("nobody in view" if state is State.AWAY else "head and shoulders not clearly visible")
        return DeskState("away", f"headwatch: {said}{quiet}")
    reference = short_reference(status.reference) if status.reference else ""
    if reference.startswith("learning"):
        return DeskState("learning", f"headwatch: good posture; learning your upright posture "
                                     f"({reference.split()[-1]}){quiet}")
    if reference.startswith("re-learning"):
        return DeskState("learning", f"headwatch: good posture; re-learning your upright posture, the set-up changed "
                                     f"{reference.split(' ', 1)[1]}{quiet}")
    return DeskState("good", f"headwatch: good posture for {duration_text(status.seconds_in_state)}{quiet}")
