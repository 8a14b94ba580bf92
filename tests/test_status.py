from __future__ import annotations

import io

import numpy as np

from headwatch.report.status import StatusLine, format_status, format_summary
from headwatch.timeline.session import SessionSummary, Status
from headwatch.types import AlertEvent, EventKind, PostureSample, Reason, State, Verdict, View
from headwatch.vision.overlay import STATE_COLOURS, draw

SAMPLE = PostureSample(view=View.FRONT, head_forward_deg=33.4, head_pitch_deg=-4.2, shoulder_tilt_deg=2.6,
                       head_roll_deg=-1.2)


def test_status_line_text() -> None:
    bad = Status(125.0, Verdict(State.BAD, (Reason.HEAD_FORWARD,)), SAMPLE, True, 42.0, 5.0)
    assert format_status(bad) == " 2m05s  ALERT head_forward  for 42s  head 33°  pitch -4°  tilt +3°  roll -1°  5 fps"
    away = Status(3.0, Verdict(State.AWAY), None, False, 0.0, 1.0)
    assert format_status(away) == "    3s  AWAY  nobody in view  1 fps"
    against_upright = Status(125.0, Verdict(State.BAD, (Reason.HEAD_FORWARD,)), SAMPLE, True, 42.0, 5.0,
                             head_change_deg=12.4)
    assert "  head +12° vs upright  pitch -4°" in format_status(against_upright)
    resting = Status(125.0, Verdict(State.OK), SAMPLE, False, 42.0, 1.0, skipped=True)
    assert format_status(resting).endswith("  1 fps (still: model resting)")
    assert "still" not in format_status(Status(125.0, Verdict(State.OK), SAMPLE, False, 42.0, 1.0))
    lost = Status(3700.0, Verdict(State.UNKNOWN), None, False, 0.0, 0.0, note="camera 0 lost")
    assert format_status(lost) == " 1h01m  camera 0 lost"


def test_status_line_off_a_terminal_prints_changes_only() -> None:
    out = io.StringIO()
    line = StatusLine(out)
    ok = Status(1.0, Verdict(State.OK), SAMPLE, False, 1.0, 5.0)
    line(ok)
    line(Status(2.0, Verdict(State.OK), SAMPLE, False, 2.0, 5.0))
    line(Status(3.0, Verdict(State.AWAY), None, False, 0.0, 1.0))
    assert len(out.getvalue().splitlines()) == 2


def test_summary_text() -> None:
    summary = SessionSummary()
    summary.seconds.update({"ok": 300.0, "bad": 100.0, "away": 60.0})
    summary.samples = 900
    summary.events = [AlertEvent(EventKind.BAD_POSTURE, 1.0, 0.0), AlertEvent(EventKind.BREAK, 2.0, 0.0)]
    text = format_summary(summary)
    assert "monitored        7m40s (900 samples)" in text
    assert "good posture     75% of the time" in text
    assert "posture alerts   1" in text and "break reminders  1" in text
    summary.skipped = 700
    assert "monitored        7m40s (900 samples, 700 of them still: model rested)" in format_summary(summary)


def test_overlay_colours_the_caption_by_state() -> None:
    image = np.zeros((120, 160, 3), np.uint8)
    drawn = draw(image, None, SAMPLE, Verdict(State.BAD, (Reason.HEAD_FORWARD,)))
    assert tuple(int(c) for c in drawn[2, 2]) == STATE_COLOURS[State.BAD]
    assert image.max() == 0  # the frame itself is untouched


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_status_line_never_wraps_on_a_narrow_terminal() -> None:
    out = _Terminal()
    width = [40]
    line = StatusLine(out, columns=lambda: width[0])
    status = Status(125.0, Verdict(State.BAD, (Reason.HEAD_FORWARD,)), SAMPLE, True, 42.0, 5.0,
                    reference="learned reference (front: ear_height_face_ratio 1.50)")
    assert len(format_status(status)) > 40
    line(status)
    width[0] = 60  # resized wider
    line(status)
    first, second = out.getvalue().split("\r")[1:]
    assert len(first) <= 39 and len(second.rstrip()) <= 59
    # At 60 columns the least useful parts went (pitch, roll, the fps), not what posture is judged against.
    assert second.rstrip().endswith("[learned]") and "fps" not in second and "pitch" not in second
    assert "head" in second and "for 42s" in second


def test_a_snooze_shows_in_the_status_line_until_it_ends() -> None:
    out = _Terminal()
    left = [1800.0]
    line = StatusLine(out, columns=lambda: 200, snoozed_s=lambda: left[0])
    status = Status(125.0, Verdict(State.OK), SAMPLE, False, 42.0, 5.0)
    line(status)
    left[0] = 0.0
    line(status)
    snoozed, after = out.getvalue().split("\r")[1:]
    assert snoozed.rstrip().endswith("[snoozed 30m00s]") and "snoozed" not in after


def test_a_pause_counts_down_on_a_terminal_and_is_one_line_in_a_log() -> None:
    from headwatch.app.monitor import pause_note

    assert pause_note(900.0, 30.4, 30.4) == "paused, 14m29s left: `headwatch resume` to go on now"
    assert pause_note(None, 75.0, 75.0) == "paused for 1m15s: `headwatch resume` to go on"
    log = io.StringIO()
    line = StatusLine(log)
    for second in range(5):
        line(Status(60.0, Verdict(State.UNKNOWN), None, False, 0.0, 0.0, note=pause_note(900.0, second, second),
                    paused=True))
    assert len(log.getvalue().splitlines()) == 1


def test_the_status_line_says_when_the_reference_is_being_relearned() -> None:
    from headwatch.report.status import short_reference

    described = "learned reference (profile: slouch_deg 21.00); set-up changed (camera) at 185 s: re-learning"
    assert short_reference(described) == "re-learning (camera)"
    assert short_reference("learned reference (profile: slouch_deg 21.00)") == "learned"
    assert short_reference("absolute limits (learning your upright posture: 40%)") == "learning 40%"


def test_the_status_line_names_what_decided() -> None:
    """Facing the camera the ear height in face widths decides, not the 3D angle: the line says it."""
    from headwatch.types import Finding

    finding = Finding(Reason.HEAD_FORWARD, "ear_height_face_ratio", 1.02, 1.35, 3.7)
    verdict = Verdict(State.BAD, (Reason.HEAD_FORWARD,), findings=(finding,))
    text = format_status(Status(125.0, verdict, SAMPLE, False, 4.0, 5.0))
    assert text.startswith(" 2m05s  BAD head_forward: ear/face 1.02 < 1.35 (absolute limit)  for 4s  ")


def test_a_recovery_does_not_read_as_an_alert() -> None:
    good_again = Status(125.0, Verdict(State.OK), SAMPLE, True, 4.0, 5.0)
    assert format_status(good_again).startswith(" 2m05s  RECOVERING  for 4s  ")


def test_the_preview_says_what_decided_and_the_tray_state_follows_the_verdict() -> None:
    from headwatch.report.status import DESK_COLOURS, desk_state
    from headwatch.types import Finding

    finding = Finding(Reason.HEAD_FORWARD, "ear_height_face_ratio", 1.02, 1.52, 2.0, "your upright 1.62 - 6 %")
    bad = Verdict(State.BAD, (Reason.HEAD_FORWARD,), findings=(finding,))
    plain = draw(np.zeros((240, 320, 3), np.uint8), None, SAMPLE, Verdict(State.BAD, (Reason.HEAD_FORWARD,)))
    why = draw(np.zeros((240, 320, 3), np.uint8), None, SAMPLE, bad)
    assert (why[30:48] != plain[30:48]).any()  # a second line under the caption: the why
    building = desk_state(Status(30.0, bad, SAMPLE, False, 4.0, 5.0))
    assert building.name == "bad" and building.colour == DESK_COLOURS["bad"]
    assert building.tooltip == "headwatch: bad posture for 4s: ear/face 1.02 < 1.52 (your upright 1.62 - 6 %)"
    alert = desk_state(Status(30.0, bad, SAMPLE, True, 42.0, 5.0), snoozed=True)
    assert alert.name == "alert" and alert.tooltip.endswith("; notifications snoozed")
    assert desk_state(Status(30.0, bad, SAMPLE, True, 42.0, 5.0, paused=True)).name == "paused"
    assert desk_state(Status(30.0, Verdict(State.AWAY), None, False, 9.0, 5.0)).tooltip == "headwatch: nobody in view"
    learning = desk_state(Status(30.0, Verdict(State.OK), SAMPLE, False, 9.0, 5.0,
                                 reference="absolute limits (learning your upright posture: 40%)"))
    assert learning.name == "learning" and learning.tooltip.endswith("learning your upright posture (40%)")
    good = desk_state(Status(30.0, Verdict(State.OK), SAMPLE, False, 65.0, 5.0, reference="learned reference: x"))
    assert (good.name, good.tooltip) == ("good", "headwatch: good posture for 1m05s")
