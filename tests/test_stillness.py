"""The still check that rests the pose model (vision/stillness.py), and what resting changes: nothing
of the verdicts or the alerts, on real video files run through the real model."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import WriteVideo
from headwatch.app.analysis import analyze_video
from headwatch.app.pipeline import Observer
from headwatch.cli import app
from headwatch.config.settings import Settings
from headwatch.types import Frame, FrameRecord, Reason, State
from headwatch.vision.pose import PoseEstimator
from headwatch.vision.stillness import StillGate, motion, thumbnail, watched_share

DEMO = Path(__file__).resolve().parents[1] / "samples" / "demo_slouch.mp4"
runner = CliRunner()


def scene(head_y: int = 60, brightness: int = 0) -> np.ndarray:
    """A textured room with a bright 'head' block: 320 x 240."""
    rng = np.random.default_rng(7)
    room = cv2.GaussianBlur(rng.integers(40, 200, (240, 320, 3)).astype(np.uint8), (0, 0), 6)
    room[head_y:head_y + 50, 140:180] = 230
    return np.clip(room.astype(int) + brightness, 0, 255).astype(np.uint8)


def test_motion_reads_a_moved_head_and_not_the_light() -> None:
    still = thumbnail(scene())
    assert motion(still, thumbnail(scene())) == pytest.approx(0.0, abs=1e-6)
    # A head 12 px lower (5 % of the frame): about a thumbnail pixel where it moved.
    assert motion(still, thumbnail(scene(head_y=72))) > 0.6
    # Brighter light everywhere moves nothing.
    assert motion(still, thumbnail(scene(brightness=25))) < 0.05
    # Sensor noise of a few grey levels never wakes the model.
    noisy = np.clip(scene() + np.random.default_rng(1).normal(0, 3, (240, 320, 3)), 0, 255).astype(np.uint8)
    assert motion(still, thumbnail(noisy)) < StillGate().threshold_px


def test_motion_below_the_watched_share_does_not_count() -> None:
    still = thumbnail(scene())
    # The 'head' block spans rows 60-110 of 240: moved 12 px, it moves where half is watched.
    moved = thumbnail(scene(head_y=72))
    assert motion(still, moved, watched=0.5) == pytest.approx(motion(still, moved), rel=0.3)
    assert motion(still, moved, watched=1.0) == motion(still, moved)  # the blocks the check always had
    # Hands over the bottom third (y >= 170): nothing moved where half is watched (the rows of
    # blocks wholly below it do not count, and neither does the brightness they add to the
    # thumbnail); watched down to 70 %, the bottom row of blocks reaches into it and counts.
    hands = scene()
    hands[170:, 40:280] = 250
    assert motion(still, thumbnail(hands), watched=0.5) < 0.05
    assert motion(still, thumbnail(hands), watched=0.7) > 1.0


def test_the_gate_settles_skips_wakes_and_checks_again() -> None:
    gate = StillGate(threshold_px=0.3, settle_looks=2, max_still_s=10.0)
    frames = [scene()] * 6
    # The first look and the two that agree with it run the model; then it rests.
    assert [gate.still(f, float(t)) for t, f in enumerate(frames)] == [False, False, False, True, True, True]
    # A moved head wakes it at once; the moved picture must hold for two looks before it rests.
    moved = scene(head_y=80)
    assert [gate.still(moved, t) for t in (6.0, 7.0, 8.0, 9.0)] == [False, False, False, True]
    # However still, the model runs again after max_still_s.
    assert gate.still(moved, 17.9) is True and gate.still(moved, 18.1) is False  # last model look: 8 s
    gate.forget()
    assert gate.still(moved, 20.0) is False


class CountingDetector:
    """The real model, counted."""

    def __init__(self, estimator: PoseEstimator) -> None:
        self.estimator = estimator
        self.calls = 0

    def detect(self, image_bgr: np.ndarray, t_s: float = 0.0) -> object:
        self.calls += 1
        return self.estimator.detect(image_bgr, t_s)


def test_the_observer_repeats_the_last_look_while_the_picture_holds_still(grace_hopper: np.ndarray) -> None:
    sitter = cv2.resize(grace_hopper, (256, 300))
    with PoseEstimator("full", mode="video") as estimator:
        detector = CountingDetector(estimator)
        observer = Observer(detector, gate=StillGate())  # type: ignore[arg-type]
        seen = [observer(Frame(float(t), t, sitter)) for t in range(8)]
    assert detector.calls == 3 and [s.skipped for s in seen] == [False] * 3 + [True] * 5
    assert seen[-1].sample == seen[2].sample and seen[-1].sample is not None


def at_a_desk(portrait: np.ndarray, hand_x: int | None = None, head_dx: int = 0) -> np.ndarray:
    """Grace Hopper above a textured desk (256 x 440): her shoulders at about y 200, the desk
    from 300 down. ``hand_x``: a textured hand on the desk at that x; ``head_dx``: everything
    above her shoulders (y < 190) shifted that far sideways."""
    top = cv2.resize(portrait, (256, 300))
    if head_dx:
        top[:190] = np.roll(top[:190], head_dx, axis=1)
    desk = cv2.GaussianBlur(np.random.default_rng(3).integers(60, 200, (140, 256, 3)).astype(np.uint8), (0, 0), 3)
    frame = np.vstack([top, desk])
    if hand_x is not None:
        hand = cv2.GaussianBlur(np.random.default_rng(5).integers(120, 230, (50, 70, 3)).astype(np.uint8), (0, 0), 2)
        frame[350:400, hand_x:hand_x + 70] = hand
    return np.ascontiguousarray(frame)


def test_typing_hands_below_the_shoulders_let_the_model_rest_and_a_moving_head_wakes_it(
        write_video: WriteVideo, grace_hopper: np.ndarray) -> None:
    """20 s at 5 fps, looked at once a second: a hand sweeping over the desk the whole time
    rests the model as if nothing moved; her head swaying 6 px wakes it on every look."""
    sweep = [20 + round(80 * (1 + np.sin(i / 2.0))) for i in range(100)]  # 20-180 px, back and forth
    typing = write_video("typing.mp4", [at_a_desk(grace_hopper, hand_x=x) for x in sweep], 5.0)
    swaying = write_video("swaying.mp4", [at_a_desk(grace_hopper, hand_x=60, head_dx=6 if (i // 5) % 2 else -6)
                                          for i in range(100)], 5.0)
    with PoseEstimator("full", mode="image") as estimator:
        seated = estimator.detect(at_a_desk(grace_hopper))
    assert seated is not None
    # The check watches down to below her shoulders, and not the desk where the hand moves.
    assert 190 / 440 < watched_share(seated) < 340 / 440

    typed = analyze_video(typing).records
    assert len(typed) == 20
    # The first look and the two that agree, and the check after 10 s: every other look rests.
    assert sum(not r.skipped for r in typed) <= 4
    swayed = analyze_video(swaying).records
    assert len(swayed) == 20 and not any(r.skipped for r in swayed)


def without_rest(settings: Settings) -> Settings:
    return replace(settings, capture=replace(settings.capture, rest_when_still=False))


def test_resting_the_model_changes_no_verdict_and_no_alert_on_the_demo() -> None:
    replay = replace(Settings(), reference=replace(Settings().reference, replay=True))
    rested, every = analyze_video(DEMO, replay), analyze_video(DEMO, without_rest(replay))
    assert sum(r.skipped for r in rested.records) >= len(rested.records) // 2  # she sits still most of the minute
    assert not any(r.skipped for r in every.records)
    # The same verdicts and reasons at the same times (the values are the last model look's).
    def verdicts(records: list[FrameRecord]) -> list[tuple[float, State, tuple[Reason, ...]]]:
        return [(r.t_s, r.verdict.state, r.verdict.reasons) for r in records]

    assert verdicts(rested.records) == verdicts(every.records)
    assert [(a.start_s, a.end_s) for a in rested.alerts] == [(a.start_s, a.end_s) for a in every.alerts]
    assert len(rested.alerts) == 1
    # Learned from the whole (short) demo, the reference comes from the looks the model ran, which
    # resting changes: a reason may differ at the margin, but not a verdict, nor the alert.
    rested, every = analyze_video(DEMO), analyze_video(DEMO, without_rest(Settings()))
    assert [(r.t_s, r.verdict.state) for r in rested.records] == [(r.t_s, r.verdict.state) for r in every.records]
    assert [(a.start_s, a.end_s) for a in rested.alerts] == [(a.start_s, a.end_s) for a in every.alerts]
    assert len(rested.alerts) == 1


@pytest.mark.parametrize("bad_for", [5, 9])
def test_a_slouch_held_still_alerts_on_time_while_the_model_rests(write_video: WriteVideo, grace_hopper: np.ndarray,
                                                                  tmp_path: Path, bad_for: int) -> None:
    """The demo's slouch, frozen: from the first slouched frame on the picture never moves, so
    nearly every look rests the model; the alert must still come bad_for seconds after the slouch."""
    capture = cv2.VideoCapture(str(DEMO))
    capture.set(cv2.CAP_PROP_POS_MSEC, 3000)
    upright = capture.read()[1]
    capture.set(cv2.CAP_PROP_POS_MSEC, 20000)
    slouched = capture.read()[1]
    capture.release()
    clip = write_video("frozen.mp4", [upright] * 50 + [slouched] * 150, 5.0)  # 10 s upright, 30 s slouched
    log = tmp_path / "events.jsonl"
    out = tmp_path / "looks.jsonl"
    result = runner.invoke(app, ["monitor", "--source", str(clip), "--no-realtime", "--notify", "none",
                                 "--no-history", "--reference", "absolute", "--bad-for", str(bad_for),
                                 "--events", str(log), "--out", str(out)],
                           env={"HEADWATCH_CAPTURE_STILL_CHECK_S": "60"})  # only the slouch's movement may wake it
    assert result.exit_code == 0, (result.stderr, result.exception)
    looks = [json.loads(line) for line in out.read_text().splitlines()]
    assert sum(r["skipped"] for r in looks if r["t_s"] > 10.0) > 0.7 * sum(1 for r in looks if r["t_s"] > 10.0)
    first_bad = min(r["t_s"] for r in looks if r["verdict"] == "bad")
    assert 10.0 <= first_bad <= 11.0
    alerts = [json.loads(line) for line in log.read_text().splitlines() if '"bad_posture"' in line]
    assert alerts and first_bad + bad_for <= alerts[0]["t_s"] <= first_bad + bad_for + 1.0
