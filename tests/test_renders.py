"""Accuracy against rendered people with exactly known angles (tests/data/synth, made by
tools/synth_render.py), and the error arithmetic on hand-made values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headwatch.cli import app
from headwatch.evaluation.renders import Render, read_renders, render_errors
from headwatch.types import PostureSample, View

SYNTH = Path(__file__).parent / "data" / "synth"


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    # Module-scoped: conftest's per-test patch is not in place yet, and the real network guard
    # would stay on this process for every later test (test_privacy's unguarded checks among them).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("headwatch.system.netguard.deny_network", lambda: False)
        result = CliRunner().invoke(app, ["eval", str(SYNTH), "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def error(report: dict[str, object], metric: str, view: str) -> dict[str, float]:
    (row,) = [e for e in report["errors"] if e["metric"] == metric and e["view"] == view]  # type: ignore[attr-defined]
    return row  # type: ignore[no-any-return]


def test_a_person_is_found_in_every_render(report: dict[str, object]) -> None:
    assert report["renders"] == len(read_renders(SYNTH)) >= 36
    assert report["detection_rate"] == 1.0


def test_shoulder_tilt_error(report: dict[str, object]) -> None:
    tilt = error(report, "shoulder_tilt_deg", "front")
    assert tilt["raw_mae"] <= 1.5
    assert tilt["calibrated_mae"] <= 1.5


def test_neck_angle_error_after_calibration(report: dict[str, object]) -> None:
    assert error(report, "head_forward_deg", "all")["calibrated_mae"] <= 3.0
    assert error(report, "head_forward_deg", "side")["calibrated_mae"] <= 3.0
    assert error(report, "head_forward_deg", "front")["calibrated_mae"] <= 3.0
    # Facing the camera the angle comes from the ears' height in face widths (metrics.FRONT_EAR_HEIGHT)
    # rather than the 3D angle, whose raw error carried the camera's whole pitch (13 degrees here).
    # Pinned so that a change in either direction is noticed.
    assert 2.0 < error(report, "head_forward_deg", "front")["raw_mae"] < 6.0


def test_error_arithmetic_by_hand() -> None:
    renders = [Render("n.png", "front", "n.png", {"neck_deg": 10.0, "shoulder_tilt_deg": 0.0, "head_roll_deg": 0.0}),
               Render("f.png", "front", "n.png", {"neck_deg": 20.0, "shoulder_tilt_deg": 4.0, "head_roll_deg": 1.0})]
    measured = {"n.png": PostureSample(view=View.FRONT, head_forward_deg=25.0, shoulder_tilt_deg=1.0,
                                       head_roll_deg=0.0),
                "f.png": PostureSample(view=View.FRONT, head_forward_deg=33.0, shoulder_tilt_deg=4.5,
                                       head_roll_deg=None)}
    errors = {(e.metric, e.view): e for e in render_errors(renders, measured)}
    neck = errors[("head_forward_deg", "front")]
    assert neck.raw_mae == pytest.approx((15.0 + 13.0) / 2)  # |25-10|, |33-20|
    assert neck.calibrated_mae == pytest.approx(2.0)  # measured +8 against a true +10
    tilt = errors[("shoulder_tilt_deg", "front")]
    assert tilt.raw_mae == pytest.approx((1.0 + 0.5) / 2) and tilt.calibrated_mae == pytest.approx(0.5)
    assert errors[("head_roll_deg", "front")].n == 1  # a metric not measured is left out
    assert errors[("head_forward_deg", "side")].n == 0 and errors[("head_forward_deg", "side")].raw_mae is None
