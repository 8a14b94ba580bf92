"""`headwatch eval` on small labelled fixtures made here, every figure checked by hand."""

from __future__ import annotations

import json
from itertools import product
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import pad_and_rotate
from headwatch.cli import app
from headwatch.evaluation.datasets import Span
from headwatch.evaluation.evaluate import score_alerts
from headwatch.timeline.replay import Alert

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, list(args), env=env)
    # CliRunner keeps an escaped exception in result.exception and prints no traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def hand_auc(good: list[float], bad: list[float]) -> float:
    pairs = list(product(good, bad))
    return sum(1.0 if b > g else 0.5 if b == g else 0.0 for g, b in pairs) / len(pairs)


@pytest.fixture
def photo_set(tmp_path: Path, grace_hopper: np.ndarray) -> Path:
    """good/: three level portraits; poor/: two leaning 15 degrees and one with nobody."""
    root = tmp_path / "photos"
    (root / "good").mkdir(parents=True)
    (root / "poor").mkdir()
    for i, width in enumerate((256, 320, 400)):
        image = cv2.resize(pad_and_rotate(grace_hopper, 0.0, 0.25), (width, int(width * 1.125)))
        cv2.imwrite(str(root / "good" / f"level{i}.png"), image)
    for i, angle in enumerate((-15.0, 15.0)):
        cv2.imwrite(str(root / "poor" / f"lean{i}.png"), cv2.resize(pad_and_rotate(grace_hopper, angle, 0.25),
                                                                   (320, 360)))
    cv2.imwrite(str(root / "poor" / "empty.png"), np.full((360, 320, 3), 128, np.uint8))
    return root


def records_of(path: Path, tmp_path: Path, *extra: str) -> list[dict[str, object]]:
    out = tmp_path / "records.jsonl"
    invoke("analyze", str(path), "--out", str(out), *extra)
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_photo_folders_scored_by_hand(photo_set: Path, tmp_path: Path) -> None:
    result = invoke("eval", str(photo_set), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    rows = records_of(photo_set, tmp_path)
    is_bad = {str(r["path"]): "poor" in str(r["path"]) for r in rows}
    assert report["frames"] == 6
    assert report["detection_rate"] == pytest.approx(5 / 6, abs=1e-4)
    judged_bad = {str(r["path"]): r["verdict"] == "bad" for r in rows}
    assert judged_bad == {p: p.endswith(("lean0.png", "lean1.png")) for p in judged_bad}  # the fixture works
    # Both leaning photos caught, the empty one missed (nobody found counts as not bad); good all passed.
    assert report["confusion"] == {"bad_caught": 2, "bad_missed": 1, "good_flagged": 0, "good_passed": 3}
    assert report["sensitivity"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["specificity"] == 1.0
    assert report["balanced_accuracy"] == pytest.approx((2 / 3 + 1) / 2, abs=1e-4)
    for name, sign in (("head_forward_deg", 1), ("ear_height_face_ratio", -1)):
        good = [sign * float(r[name]) for r in rows if not is_bad[str(r["path"])] and r[name] is not None]
        bad = [sign * float(r[name]) for r in rows if is_bad[str(r["path"])] and r[name] is not None]
        assert report["auc"][name] == pytest.approx(hand_auc(good, bad), abs=1e-4)
    assert report["auc"]["slouch_deg"] is None  # nobody in profile
    assert report["alerts"] is None and report["sources"] == {"images": 6, "videos": 0}


def test_text_report_and_label_mapping(photo_set: Path) -> None:
    (photo_set / "good").rename(photo_set / "notSlouching")
    (photo_set / "poor").rename(photo_set / "isSlouching")
    assert invoke("eval", str(photo_set)).exit_code == 1  # no default label names any more
    result = invoke("eval", str(photo_set), "--label", "isSlouching=bad", "--label", "notSlouching=good")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "frames scored       6  (6 images, 0 videos)"
    assert lines[1] == "person found        83.3%  (judged 83.3%)"
    assert "labelled bad: caught 2, missed 1 | labelled good: flagged 0, passed 3" in result.stdout
    assert "balanced accuracy   0.833" in result.stdout


def test_video_with_spans(tilting_clip: Path, tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    clip = folder / "tilting.mp4"
    tilting_clip.rename(clip)
    # Lean from 2 s to 9 s; the spans leave half a second unscored around each change.
    clip.with_suffix(".csv").write_text("start_s,end_s,label\n0,1.5,good\n2.5,8.5,bad\n9.5,16,good\n")
    env = {"HEADWATCH_ALERTS_BAD_FOR_S": "3"}
    result = invoke("eval", str(folder), "--json", env=env)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    rows = records_of(clip, tmp_path, "--bad-for", "3")
    spans = [(0.0, 1.5, False), (2.5, 8.5, True), (9.5, 16.0, False)]
    scored = [(bad, r) for r in rows for lo, hi, bad in spans if lo <= float(r["t_s"]) < hi]  # type: ignore[arg-type]
    assert report["frames"] == len(scored) == 8 + 30 + 32  # t = 0-1.4, 2.6-8.4, 9.6-15.8 at 5 fps
    caught = sum(1 for bad, r in scored if bad and r["verdict"] == "bad")
    flagged = sum(1 for bad, r in scored if not bad and r["verdict"] == "bad")
    assert report["confusion"]["bad_caught"] == caught and report["confusion"]["good_flagged"] == flagged
    alert_fired = json.loads(invoke("analyze", str(clip), "--json", "--bad-for", "3").stdout)["files"][0]["alerts"]
    (alert,) = alert_fired
    assert report["alerts"]["bad_spans"] == 1 and report["alerts"]["detected"] == 1
    assert report["alerts"]["onset_delays_s"] == [pytest.approx(alert["start_s"] - 2.5, abs=0.01)]
    assert report["alerts"]["false_alerts"] == 0
    assert report["alerts"]["good_hours"] == pytest.approx((1.5 + 6.5) / 3600, abs=1e-4)
    assert report["alerts"]["false_alerts_per_hour"] == 0.0


def test_alert_scoring_by_hand() -> None:
    spans = [Span(0, 60, False), Span(60, 120, True), Span(120, 180, False), Span(180, 240, True)]
    alerts = [Alert(30, 35, ("head_forward",)), Alert(75, 130, ("head_forward",)), Alert(175, 200, ())]
    score = score_alerts(spans, alerts)
    # Span 2 alerted 15 s in; span 4 already alerted when it began (delay 0); one false alert at 30 s
    # (the one at 175 s is in a good span too).
    assert score.onset_delays_s == (15.0, 0.0)
    assert score.false_alerts == 2
    assert score.false_alerts_per_hour == pytest.approx(2 / (120 / 3600))
    assert score.mean_onset_delay_s == 7.5


@pytest.mark.parametrize(("setup", "message"), [
    ("missing", "no such folder"),
    ("empty", "no labelled images or videos"),
    ("unlabelled", "no labelled images or videos: expected images in folders named bad/good/poor"),
    ("bad-numbers", "row 1: start_s and end_s must be numbers, found 'zero', '3'"),
    ("bad-fields", "row 2: expected start_s,end_s,label, found 2 fields"),
    ("bad-label", "row 1: unknown label 'meh'"),
    ("backwards", "row 1: the span must run forward from 0 or later, found 5 to 3"),
])
def test_bad_datasets_are_one_line(tmp_path: Path, tilting_clip: Path, setup: str, message: str) -> None:
    root = tmp_path / "data"
    if setup != "missing":
        root.mkdir()
    if setup == "unlabelled":
        (root / "misc").mkdir()
        cv2.imwrite(str(root / "misc" / "a.png"), np.zeros((10, 10, 3), np.uint8))
    csv_text = {"bad-numbers": "zero,3,bad\n", "bad-fields": "0,3,bad\n4,5\n", "bad-label": "0,3,meh\n",
                "backwards": "5,3,bad\n"}.get(setup)
    if csv_text is not None:
        tilting_clip.rename(root / "clip.mp4")
        (root / "clip.csv").write_text(csv_text)
    result = invoke("eval", str(root))
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr


def test_a_malformed_label_option_is_a_usage_error(photo_set: Path) -> None:
    result = invoke("eval", str(photo_set), "--label", "isSlouching")
    assert result.exit_code == 2 and "expected NAME=good or NAME=bad" in result.stderr
