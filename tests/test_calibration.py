"""Calibration: the pure baseline logic, its refusals, and calibrate/analyze end to end on clips."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import WriteVideo, pad_and_rotate
from headwatch.app.assemble import DEFAULT_LIMITS
from headwatch.cli import app
from headwatch.config.settings import Calibration
from headwatch.posture.calibration import (
    Baseline,
    CalibrationError,
    CalibrationSample,
    Profile,
    calibrate,
    limits_around_profile,
)
from headwatch.types import PostureSample, View

runner = CliRunner()


def side(slouch: float, trunk: float = 5.0) -> PostureSample:
    return PostureSample(view=View.LEFT, head_forward_deg=slouch - trunk, trunk_lean_deg=trunk, slouch_deg=slouch)


def front(ratio: float, tilt: float = 1.0) -> PostureSample:
    return PostureSample(view=View.FRONT, ear_height_face_ratio=ratio, shoulder_tilt_deg=tilt, head_roll_deg=0.0,
                         head_forward_deg=20.0)


def steady(samples: list[PostureSample | None]) -> list[CalibrationSample]:
    return [CalibrationSample(i * 0.2, s, (0.5, 0.3, 0.5, 0.6)) for i, s in enumerate(samples)]


def test_a_steady_upright_profile_gives_its_medians() -> None:
    profile = calibrate(steady([side(20.0 + (i % 5) - 2) for i in range(30)]), "desk")
    assert profile.family == "profile" and profile.frames == 30
    assert profile.baseline["slouch_deg"].median == pytest.approx(20.0)
    assert profile.baseline["slouch_deg"].spread == pytest.approx(1.0)
    assert profile.baseline["trunk_lean_deg"].median == pytest.approx(5.0)
    assert Profile.from_json(json.loads(json.dumps(profile.to_json()))) == profile


@pytest.mark.parametrize(("samples", "message"), [
    ([], "saw no frames"),
    ([side(20.0)] * 10 + [None] * 10, "a person was found in only 50% of the frames"),
    ([side(20.0)] * 12 + [front(1.4)] * 8, "you turned during calibration"),
    ([side(20.0)] * 6, "only 6 usable frames (at least 10 needed)"),
    ([side(20.0 if i % 2 else 40.0) for i in range(30)], "your posture changed too much"),
])
def test_refusals_say_what_to_fix(samples: list[PostureSample | None], message: str) -> None:
    with pytest.raises(CalibrationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        calibrate(steady(samples), "desk")


def test_moving_too_much_is_refused() -> None:
    samples = [CalibrationSample(i * 0.2, side(20.0), (0.5 + 0.2 * (i % 2), 0.3, 0.5, 0.6)) for i in range(30)]
    with pytest.raises(CalibrationError, match="you moved too much"):
        calibrate(samples, "desk")


def test_limits_around_a_profile_baseline() -> None:
    profile = Profile("desk", "profile", {"slouch_deg": Baseline(25.0, 1.0, 30),
                                          "trunk_lean_deg": Baseline(6.0, 1.0, 30)}, 30)
    limits = limits_around_profile(profile, Calibration(head_forward_margin_deg=10.0, trunk_lean_margin_deg=8.0),
                           DEFAULT_LIMITS)
    assert limits.profile["slouch_deg"].high == 35.0
    assert limits.profile["trunk_lean_deg"].high == 14.0
    assert limits.front == DEFAULT_LIMITS.front  # the view not calibrated keeps absolute limits


def test_limits_around_a_front_baseline() -> None:
    profile = Profile("desk", "front", {"ear_height_face_ratio": Baseline(1.5, 0.01, 30),
                                        "shoulder_tilt_deg": Baseline(4.0, 0.5, 30)}, 30)
    limits = limits_around_profile(profile, Calibration(ear_height_margin=0.1, shoulder_tilt_margin_deg=3.0),
                                   DEFAULT_LIMITS)
    assert limits.front["ear_height_face_ratio"].low == pytest.approx(1.35)
    assert (limits.front["shoulder_tilt_deg"].low, limits.front["shoulder_tilt_deg"].high) == (1.0, 7.0)
    # Not in the baseline: the absolute band stays (a reference refines the absolute limits).
    assert limits.front["head_roll_deg"] == DEFAULT_LIMITS.front["head_roll_deg"]
    assert limits.profile == DEFAULT_LIMITS.profile


# -- end to end -------------------------------------------------------------------------------


@pytest.fixture
def leaning_clip(write_video: WriteVideo, grace_hopper: np.ndarray) -> Path:
    """6 s of Grace Hopper steadily leaning 6 degrees (her left shoulder lower): her 'normal'."""
    frame = cv2.resize(pad_and_rotate(grace_hopper, -6.0, 0.25), (256, 288))
    return write_video("leaning.mp4", [frame] * 60, 10.0)


@pytest.fixture
def level_clip(write_video: WriteVideo, grace_hopper: np.ndarray) -> Path:
    frame = cv2.resize(pad_and_rotate(grace_hopper, 0.0, 0.25), (256, 288))
    return write_video("level.mp4", [frame] * 40, 10.0)


def invoke(*args: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, list(args))
    # CliRunner keeps an escaped exception in result.exception and prints no traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def test_calibrate_from_a_clip_then_show_and_reset(leaning_clip: Path, isolated_settings: Path) -> None:
    result = invoke("calibrate", "--source", str(leaning_clip), "--from", "1", "--to", "5", "--profile", "lean")
    assert result.exit_code == 0, result.stderr
    assert "saved profile 'lean' (front view" in result.stdout
    saved = isolated_settings / "profiles" / "lean.json"
    data = json.loads(saved.read_text())
    assert data["family"] == "front" and data["frames"] == 20  # 1-5 s at 5 fps
    assert 3.0 < data["baseline"]["shoulder_tilt_deg"]["median"] < 9.0
    assert "judged bad when:" in result.stdout  # the limits it gives, in the why's wording
    assert "shoulder tilt < " in result.stdout and "(profile lean: upright +" in result.stdout
    shown = invoke("calibrate", "--profile", "lean", "--show", "--json")
    assert json.loads(shown.stdout) == data
    readable = invoke("calibrate", "--profile", "lean", "--show").stdout
    assert readable.startswith("profile 'lean' (front view, 20 frames, from ") and "judged bad when:" in readable
    listed = invoke("calibrate", "--list").stdout
    assert listed.splitlines()[1].startswith("lean ") and "front" in listed
    assert invoke("calibrate", "--profile", "lean", "--reset").stdout.startswith("deleted")
    assert not saved.exists()
    result = invoke("calibrate", "--profile", "lean", "--show")
    assert result.exit_code == 2 and "no calibrated profile named 'lean'" in result.stderr


def test_a_clip_without_a_person_is_refused(write_video: WriteVideo, isolated_settings: Path) -> None:
    empty = write_video("empty.mp4", [np.full((240, 320, 3), 128, np.uint8)] * 30, 10.0)
    result = invoke("calibrate", "--source", str(empty), "--profile", "nobody")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("headwatch: error: calibration refused: a person was found in only 0% of the "
                                     "frames: sit in front of the camera with your head and shoulders in view, in "
                                     "good light, and try again")
    assert not (isolated_settings / "profiles" / "nobody.json").exists()


def test_analyze_with_and_without_a_profile(leaning_clip: Path, level_clip: Path, tmp_path: Path) -> None:
    # Her calibrated normal leans ~6 degrees; with a tight tilt margin, sitting level is "off
    # her normal" and judged bad, while the absolute thresholds call it fine.
    config = tmp_path / "tight.toml"
    config.write_text("[calibration]\nshoulder_tilt_margin_deg = 2.0\n")
    calibrated = invoke("calibrate", "--source", str(leaning_clip), "--profile", "lean", "--config", str(config))
    assert calibrated.exit_code == 0

    def verdicts(*extra: str) -> set[str]:
        out = tmp_path / "frames.jsonl"
        result = invoke("analyze", str(level_clip), "--out", str(out), "--config", str(config), *extra)
        assert result.exit_code == 0, result.stderr
        return {json.loads(line)["verdict"] for line in out.read_text().splitlines()}

    assert verdicts() == {"ok"}
    assert verdicts("--profile", "lean") == {"bad"}
    result = invoke("analyze", str(level_clip), "--profile", "absent")
    assert result.exit_code == 2 and "no calibrated profile named 'absent'" in result.stderr


def test_the_configured_default_profile_is_used_when_it_exists(leaning_clip: Path, level_clip: Path,
                                                               tmp_path: Path) -> None:
    config = tmp_path / "tight.toml"
    config.write_text("[calibration]\nshoulder_tilt_margin_deg = 2.0\n")
    result = invoke("monitor", "--source", str(level_clip), "--no-realtime", "--notify", "none", "--config",
                    str(config))
    assert "hint: no calibrated profile, so headwatch learns your upright posture" in result.stderr
    # From a video file the default profile is made only when asked for by name.
    assert invoke("calibrate", "--source", str(leaning_clip), "--config", str(config), "--profile",
                  "default").exit_code == 0
    result = invoke("analyze", str(level_clip), "--json", "--config", str(config))
    assert json.loads(result.stdout)["profile"] == "default"
    assert json.loads(result.stdout)["files"][0]["bad_share"] == 1.0
    result = invoke("monitor", "--source", str(level_clip), "--no-realtime", "--notify", "none", "--config",
                    str(config))
    assert "hint:" not in result.stderr


def test_a_profile_from_a_video_is_not_the_live_default_unless_named(leaning_clip: Path,
                                                                      isolated_settings: Path) -> None:
    result = invoke("calibrate", "--source", str(leaning_clip))
    assert result.exit_code == 0, result.stderr
    assert "saved profile 'leaning' " in result.stdout
    assert "--profile leaning" in result.stderr  # how to use it
    assert (isolated_settings / "profiles" / "leaning.json").is_file()
    assert not (isolated_settings / "profiles" / "default.json").exists()


def test_a_slouched_stretch_is_not_taken_for_upright(isolated_settings: Path) -> None:
    """The demo slouches from about 9 s to 52 s: its ears sit about 1.0 face widths above the
    shoulders, where upright people read 1.3 or more. Calibrating there would make every slouch
    look normal: refused, unless --force."""
    demo = Path(__file__).resolve().parents[1] / "samples" / "demo_slouch.mp4"
    args = ["calibrate", "--source", str(demo), "--from", "15", "--to", "25", "--profile", "slumped"]
    result = invoke(*args)
    assert result.exit_code == 1
    assert "calibration refused: this does not look like upright posture: ear/face 1.0" in result.stderr
    assert "--force" in result.stderr
    assert not (isolated_settings / "profiles" / "slumped.json").exists()
    forced = invoke(*args, "--force")
    assert forced.exit_code == 0 and (isolated_settings / "profiles" / "slumped.json").is_file()
    upright = invoke("calibrate", "--source", str(demo), "--from", "1", "--to", "8", "--profile", "upright")
    assert upright.exit_code == 0, upright.stderr


def test_calibration_says_how_to_fix_the_framing(write_video: WriteVideo, grace_hopper: np.ndarray) -> None:
    """A person filmed in the dark: calibration says to add light, as the monitor's start does."""
    dark = (cv2.resize(pad_and_rotate(grace_hopper, 0.0, 0.25), (256, 288)) * 0.12).astype(np.uint8)
    clip = write_video("dark.mp4", [dark] * 40, 10.0)
    result = invoke("calibrate", "--source", str(clip), "--from", "0", "--to", "3", "--profile", "dark")
    said = result.stderr + result.stdout
    assert "the picture is dark: add light in front of you, not behind" in said
