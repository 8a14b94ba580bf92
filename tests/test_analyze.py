"""`headwatch analyze` end to end: real videos written here, the real model, real output files."""

from __future__ import annotations

import csv
import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import WriteVideo, pad_and_rotate
from headwatch.cli import app
from headwatch.types import METRIC_NAMES

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["analyze", *args])
    # CliRunner keeps an escaped exception in result.exception and prints no traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def swaying_clip(write_video: WriteVideo, grace_hopper: np.ndarray) -> Path:
    """3 s at 15 fps: Grace Hopper rotating from -6 to +6 degrees."""
    frames = [cv2.resize(pad_and_rotate(grace_hopper, -6 + 12 * i / 44, 0.25), (320, 360)) for i in range(45)]
    return write_video("sway.mp4", frames, 15.0)


def test_records_follow_the_sampling_and_both_formats_parse(swaying_clip: Path, tmp_path: Path) -> None:
    csv_path, jsonl_path = tmp_path / "frames.csv", tmp_path / "frames.jsonl"
    code, out, _ = run(str(swaying_clip), "--fps", "5", "--out", str(csv_path))
    assert code == 0, out
    assert run(str(swaying_clip), "--fps", "5", "--out", str(jsonl_path))[0] == 0
    rows = list(csv.DictReader(csv_path.open()))
    lines = [json.loads(line) for line in jsonl_path.read_text().splitlines()]
    # 3 s sampled at 5 fps from a 15 fps clip: every third frame, 15 records.
    assert len(rows) == len(lines) == 15
    assert [int(r["frame"]) for r in rows] == list(range(0, 45, 3))
    times = [float(r["t_s"]) for r in rows]
    assert all(b > a for a, b in itertools.pairwise(times))
    assert times[1] == pytest.approx(0.2)
    assert set(lines[0]) >= {"path", "t_s", "frame", "person", "view", "confidence", *METRIC_NAMES}
    assert all(line["person"] is True and line["view"] == "front" for line in lines)
    # She sways from -6 to +6 degrees counter-clockwise, so her shoulder tilt falls over the clip.
    tilts = [line["shoulder_tilt_deg"] for line in lines]
    assert tilts[0] - tilts[-1] > 6.0
    assert [r["shoulder_tilt_deg"] for r in rows] == [str(t) for t in tilts]


def test_summary_table_and_json_document(swaying_clip: Path, grace_hopper: np.ndarray, tmp_path: Path) -> None:
    photo = tmp_path / "photos" / "grace.png"
    photo.parent.mkdir()
    cv2.imwrite(str(photo), grace_hopper)
    code, out, _ = run(str(swaying_clip), str(photo.parent))
    assert code == 0
    assert "sway.mp4  (video, 3.0 s, 15 frames analysed, person in 100%, view front)" in out
    assert "grace.png  (image" in out and "shoulder_tilt_deg" in out

    code, out, _ = run(str(swaying_clip), str(photo), "--json")
    document = json.loads(out)
    video, image = document["files"]
    assert (video["kind"], video["frames"], video["frames_with_person"], video["view"]) == ("video", 15, 15, "front")
    assert (image["kind"], image["frames"], image["frames_with_person"]) == ("image", 1, 1)
    tilt = video["metrics"]["shoulder_tilt_deg"]
    assert set(tilt) == {"median", "p90"} and tilt["p90"] > tilt["median"]
    assert image["metrics"]["head_forward_deg"]["median"] == image["metrics"]["head_forward_deg"]["p90"]


def test_bad_inputs_get_one_line_each_and_the_rest_is_analysed(
        tmp_path: Path, swaying_clip: Path, grace_hopper: np.ndarray) -> None:
    text_as_video = tmp_path / "notes.mp4"
    text_as_video.write_text("this is not a video\n")
    empty = tmp_path / "empty.mp4"
    empty.touch()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(swaying_clip.read_bytes()[: swaying_clip.stat().st_size // 2])
    nobody = tmp_path / "nobody.png"
    cv2.imwrite(str(nobody), np.full((240, 320, 3), 200, np.uint8))
    good_photo = tmp_path / "grace.jpg"
    cv2.imwrite(str(good_photo), grace_hopper)
    missing = tmp_path / "missing.mov"

    code, out, err = run(str(missing), str(text_as_video), str(empty), str(truncated), str(nobody),
                         str(good_photo), str(swaying_clip), "--json")
    assert code == 1
    errors = err.strip().splitlines()
    assert len(errors) == 5, err
    assert errors[0] == f"headwatch: error: {missing}: no such file or folder"
    assert f"{text_as_video}: cannot read the video" in errors[1]
    assert f"{empty}: cannot read the video: the file is empty" in errors[2]
    assert f"{truncated}:" in errors[3]
    assert f"{nobody}: no person found" in errors[4]
    analysed = {Path(f["path"]).name: f for f in json.loads(out)["files"]}
    assert analysed["grace.jpg"]["frames_with_person"] == 1
    assert analysed["sway.mp4"]["frames_with_person"] == 15
    assert analysed["nobody.png"]["frames_with_person"] == 0


def test_unsupported_suffix_and_empty_folder(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    code, _, err = run(str(notes), str(empty_dir))
    assert code == 1
    assert "notes.txt: not a supported video or image" in err
    assert "no videos or images in this folder" in err


def test_usage_errors_exit_2(swaying_clip: Path) -> None:
    assert run(str(swaying_clip), "--out", "frames.txt")[0] == 2
    assert run(str(swaying_clip), "--fps", "0")[0] == 2
    assert runner.invoke(app, ["analyze"]).exit_code == 2


def test_a_missing_model_is_one_line(swaying_clip: Path, tmp_path: Path) -> None:
    code, _, err = run(str(swaying_clip), "--model", str(tmp_path / "nope.task"))
    assert code == 1
    assert err.strip() == f"headwatch: error: model file not found: {tmp_path / 'nope.task'} " \
                          "(use --model lite|full or a .task file)"


def test_the_bundled_sample_analyses(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parents[1] / "samples" / "grace_hopper_sway.mp4"
    copy = tmp_path / "sample.mp4"
    shutil.copy(sample, copy)
    code, out, _ = run(str(copy), "--json", "--model", "lite")
    assert code == 0
    (summary,) = json.loads(out)["files"]
    assert summary["frames"] == 40 and summary["frames_with_person"] == 40


def test_analyze_replays_the_alert_engine(tilting_clip: Path, tmp_path: Path) -> None:
    records = tmp_path / "frames.jsonl"
    # Absolute limits: two still images rotated, not a person whose upright posture can be learned.
    code, out, _ = run(str(tilting_clip), "--bad-for", "3", "--json", "--fps", "5", "--out", str(records),
                       "--reference", "absolute")
    assert code == 0
    (summary,) = json.loads(out)["files"]
    (alert,) = summary["alerts"]
    # Leaning from 2 s to 9 s: alert after 3 s of it, ending when she sat level again.
    assert 5.0 <= alert["start_s"] <= 5.6 and 9.0 <= alert["end_s"] <= 9.4
    assert alert["reasons"] == ["shoulder_tilt"]
    rows = [json.loads(line) for line in records.read_text().splitlines()]
    verdicts = [r["verdict"] for r in rows]
    assert set(verdicts) == {"ok", "bad"}
    assert summary["bad_share"] == pytest.approx(verdicts.count("bad") / len(verdicts))
    assert 0.35 < summary["bad_share"] < 0.5  # 7 of 16 s
    leaning = [r for r in rows if 2.2 <= r["t_s"] < 9.0]
    assert leaning and all(r["verdict"] == "bad" and "shoulder_tilt" in r["reasons"] for r in leaning)
    assert all(r["shoulder_tilt_deg"] > 8.0 * 1.1 for r in leaning)  # clear of the limit, not on its edge
    code, out, _ = run(str(tilting_clip), "--bad-for", "3")
    assert "alerts: 1" in out and "shoulder_tilt" in out


def test_the_demo_clip_raises_one_real_alert_with_the_defaults(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[1] / "samples" / "demo_slouch.mp4"
    code, out, _ = run(str(demo), "--json")
    assert code == 0
    (summary,) = json.loads(out)["files"]
    (alert,) = summary["alerts"]
    # Slouching from about 9 s to 52 s: 30 s of it makes the alert, which ends when she sits up.
    assert 37.0 <= alert["start_s"] <= 42.0 and 49.0 <= alert["end_s"] <= 54.0
    # She slouches toward the webcam: the head comes forward.
    assert alert["reasons"][0] == "head_forward"
    # A minute is not the two minutes the monitor takes to learn: the whole recording teaches it.
    assert summary["reference"].startswith("learned reference (front: ear_height_face_ratio ")
    assert summary["reference"].endswith("from the whole recording (shorter than learn_min)")
    code, out, _ = run(str(demo), "--json", "--replay")  # as the monitor would: still learning at its end
    (replayed,) = json.loads(out)["files"]
    assert replayed["reference"].startswith("absolute limits")
    assert "(learning your upright posture: 50%)" in replayed["reference"]
    (same,) = replayed["alerts"]  # the slouch is clear on either: the same alert, give or take a look
    assert same["start_s"] == pytest.approx(alert["start_s"], abs=1.0)


def test_photos_are_one_line_each_in_the_table(tmp_path: Path, grace_hopper: np.ndarray) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(folder / name), grace_hopper)
    cv2.imwrite(str(folder / "c.png"), np.full((200, 200, 3), 90, np.uint8))
    code, out, _ = run(str(folder))
    assert code == 1  # c.png has nobody in it
    lines = out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{folder / 'a.png'}  (image, view front): ok; ")
    assert "ear_height_face_ratio" in lines[0]
    assert lines[2] == f"{folder / 'c.png'}  (image): nobody found"


def test_record_files_speak_their_formats(tmp_path: Path, grace_hopper: np.ndarray) -> None:
    photo = tmp_path / "p.png"
    cv2.imwrite(str(photo), pad_and_rotate(grace_hopper, -15.0, 0.25))  # leaning: bad, shoulder tilt
    csv_out, jsonl_out = tmp_path / "r.csv", tmp_path / "r.jsonl"
    for out in (csv_out, jsonl_out):
        code, _, _ = run(str(photo), "--out", str(out))
        assert code == 0
    (row,) = list(csv.DictReader(csv_out.open()))
    assert row["person"] == "true" and row["verdict"] == "bad" and "shoulder_tilt" in row["reasons"].split(";")
    (line,) = [json.loads(text) for text in jsonl_out.read_text().splitlines()]
    assert line["schema"] == 1 and line["person"] is True and "shoulder_tilt" in line["reasons"]
    assert isinstance(line["reasons"], list)
    code, out, _ = run(str(photo), "--json")
    assert json.loads(out)["schema"] == 1


def test_analyze_events_are_what_the_monitor_would_have_written(tilting_clip: Path, tmp_path: Path) -> None:
    analyzed, monitored = tmp_path / "analyze.jsonl", tmp_path / "monitor.jsonl"
    code, _, _ = run(str(tilting_clip), "--bad-for", "3", "--reference", "absolute", "--events", str(analyzed))
    assert code == 0
    lines = [json.loads(line) for line in analyzed.read_text().splitlines()]
    assert [(e["path"], e["kind"]) for e in lines] == [(str(tilting_clip), "bad_posture"),
                                                      (str(tilting_clip), "posture_recovered")]
    assert all(e["schema"] == 1 for e in lines)
    result = runner.invoke(app, ["monitor", "--source", str(tilting_clip), "--no-realtime", "--notify", "none",
                                 "--bad-for", "3", "--reference", "absolute", "--events", str(monitored)])
    assert result.exit_code == 0
    live = [json.loads(line) for line in monitored.read_text().splitlines()]
    assert [e["kind"] for e in live] == [e["kind"] for e in lines]
    assert abs(live[0]["t_s"] - lines[0]["t_s"]) <= 1.0  # the monitor samples at its own adaptive rate
    # The same keys in both (the wall-clock time and the history's session among them), written
    # by the same code: a recording is a session on the video's clock.
    assert [sorted(e) for e in live] == [sorted(e) for e in lines]
    assert {"path", "at", "session", "kind", "t_s", "reasons"} <= set(lines[0])
    assert live[0]["path"] == str(tilting_clip) and live[0]["session"] is not None  # the monitor kept a history


def test_analyze_report_pages_per_video(tilting_clip: Path, tmp_path: Path, write_video: WriteVideo,
                                       grace_hopper: np.ndarray) -> None:
    import html

    page = tmp_path / "report.html"
    code, table, _ = run(str(tilting_clip), "--bad-for", "3", "--reference", "absolute", "--report", str(page))
    assert code == 0
    document = page.read_text(encoding="utf-8")
    # The recording's own figures, as the analyze table gives them, in the video's time: not a day
    # of history (a 10 s clip has no "alerts per hour" nor "hours of the day").
    figures = [line.strip() for line in table.splitlines()[1:] if line.strip()]
    assert "alerts: 1" in figures and any(" s - " in line for line in figures)
    for line in figures:
        assert f"<td>{html.escape(line)}</td>" in document, line
    assert "per hour" not in document and "hour of the day" not in document
    assert document.count('src="data:image/png;base64,') == 1
    other = write_video("still.mp4", [cv2.resize(grace_hopper, (256, 288))] * 20, 5.0)
    code, _, _ = run(str(tilting_clip), str(other), "--report", str(page))
    assert code == 0
    assert (tmp_path / "report-tilting.html").is_file() and (tmp_path / "report-still.html").is_file()
    code, _, err = run(str(tilting_clip), "--report", str(tmp_path / "report.txt"))
    assert code == 2 and "must end in .html" in err


def test_analyze_annotate_draws_every_analysed_frame(tilting_clip: Path, tmp_path: Path,
                                                    image_estimator: Any) -> None:
    from headwatch.types import Landmark, State
    from headwatch.vision.overlay import STATE_COLOURS

    out = tmp_path / "annotated.mp4"
    code, stdout, _ = run(str(tilting_clip), "--reference", "absolute", "--annotate", str(out), "--json")
    assert code == 0
    (summary,) = json.loads(stdout)["files"]
    drawn, original = cv2.VideoCapture(str(out)), cv2.VideoCapture(str(tilting_clip))
    assert int(drawn.get(cv2.CAP_PROP_FRAME_COUNT)) == summary["frames"] == 80  # 16 s at 5 fps
    ok, first = drawn.read()
    ok2, source = original.read()
    assert ok and ok2 and first.shape == source.shape
    # The caption band is the state's colour (she sits level at first: ok, green).
    band = first[5:20, 5:50].reshape(-1, 3).mean(axis=0)
    assert np.abs(band - np.array(STATE_COLOURS[State.OK])).max() < 40
    # The line between the shoulders is drawn where the model puts them on the original frame.
    pose = image_estimator.detect(source)
    middle = ((pose.image_xy[Landmark.LEFT_SHOULDER] + pose.image_xy[Landmark.RIGHT_SHOULDER]) / 2).round().astype(int)
    x, y = int(middle[0]), int(middle[1])
    patch = first[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3)
    assert min(np.abs(p.astype(int) - STATE_COLOURS[State.OK]).max() for p in patch) < 60
    assert np.abs(source[y - 2:y + 3, x - 2:x + 3].astype(int) - first[y - 2:y + 3, x - 2:x + 3]).mean() > 20


def test_default_analysis_rate_is_one_frame_a_second(swaying_clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEADWATCH_CAPTURE_ANALYZE_FPS")  # the suite's own 5 fps, for this test the default
    code, out, _ = run(str(swaying_clip), "--json")
    assert code == 0 and json.loads(out)["files"][0]["frames"] == 3  # 3 s of video


def test_the_table_shows_what_a_person_reads_and_v_shows_every_metric(tmp_path: Path, grace_hopper: np.ndarray,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 31: positions and camera fields are for --json, --out and -v, not the table people read."""
    # -v sets these in this process for good: recorded here, so they are undone after this test
    # (the subprocesses of later tests would print OpenCV's diagnostics into their output).
    monkeypatch.setenv("OPENCV_LOG_LEVEL", "SILENT")
    monkeypatch.setenv("OPENCV_FFMPEG_LOGLEVEL", "-8")
    monkeypatch.setenv("HEADWATCH_NATIVE_DIAGNOSTICS", "")
    photo = tmp_path / "grace.png"
    cv2.imwrite(str(photo), grace_hopper)
    code, out, _ = run(str(photo))
    assert code == 0
    assert "head_forward_deg" in out and "shoulder_tilt_deg" in out and "head_roll_deg" in out
    for internal in ("ear_level", "neck_dx", "shoulder_level", "neck_length", "face_width_ratio"):
        assert internal not in out, internal
    verbose = runner.invoke(app, ["-v", "analyze", str(photo)])
    assert verbose.exit_code == 0, repr(verbose.exception)
    assert "ear_level" in verbose.stdout and "neck_dx" in verbose.stdout
    document = json.loads(run(str(photo), "--json")[1])
    assert {"ear_level", "neck_dx", "head_forward_deg"} <= set(document["files"][0]["metrics"])


def test_a_video_table_lists_the_read_metrics_in_their_order() -> None:
    from headwatch.report.recording import TABLE_METRICS, FileSummary, format_table

    metrics = {name: {"median": 1.0, "p90": 2.0} for name in ("camera_dx", "trunk_lean_deg", "ear_level",
                                                              "head_forward_deg")}
    summary = FileSummary("clip.mp4", "video", 60.0, 60, 60, "front", metrics, 0.5)
    def metric_rows(table: str) -> list[str]:
        lines = table.splitlines()
        return [line.split()[0] for line in lines[[line.split()[0] for line in lines].index("metric") + 1:]]

    assert metric_rows(format_table([summary])) == ["head_forward_deg", "trunk_lean_deg"]
    assert TABLE_METRICS.index("head_forward_deg") < TABLE_METRICS.index("trunk_lean_deg")
    every = metric_rows(format_table([summary], every_metric=True))
    assert every == ["camera_dx", "trunk_lean_deg", "ear_level", "head_forward_deg"]
