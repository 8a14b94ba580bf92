"""No output is ever an input, and no two outputs are one file: every output option of analyze and
history export, aliased to the inputs and to each other, on real files (issue: nothing lost)."""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import EVERY_LOOK_ENV, WriteVideo, pad_and_rotate
from headwatch.cli import app
from headwatch.storage.outputs import OutputClash, check_outputs, per_item_paths

runner = CliRunner()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


@pytest.fixture
def clip(write_video: WriteVideo, grace_hopper: np.ndarray) -> Path:
    frame = cv2.resize(pad_and_rotate(grace_hopper, 0.0, 0.25), (256, 288))
    return write_video("clip.mp4", [frame] * 10, 10.0)


def test_per_video_names_never_collide() -> None:
    base = Path("/out/ann.mp4")
    one = per_item_paths(base, [Path("/a/clip.mp4")])
    assert one == {Path("/a/clip.mp4"): base}
    several = per_item_paths(base, [Path("/a/clip.mp4"), Path("/b/clip.mp4"), Path("/b/Clip.MP4"), Path("/c/x.mp4")])
    assert list(several.values()) == [Path("/out/ann-clip.mp4"), Path("/out/ann-clip-2.mp4"),
                                      Path("/out/ann-Clip-3.mp4"), Path("/out/ann-x.mp4")]


def test_a_hard_link_or_a_symlink_to_an_input_is_that_input(tmp_path: Path) -> None:
    source = tmp_path / "in.mp4"
    source.write_bytes(b"x")
    (tmp_path / "hard.mp4").hardlink_to(source)
    (tmp_path / "soft.mp4").symlink_to(source)
    for alias in ("hard.mp4", "soft.mp4", "./in.mp4"):
        with pytest.raises(OutputClash, match="is also an input"):
            check_outputs([source], {"--annotate": [tmp_path / alias]})
    check_outputs([source], {"--annotate": [tmp_path / "new.mp4"], "--report": [tmp_path / "new.html"]})


OPTIONS = {"--out": "r.jsonl", "--events": "e.jsonl", "--report": "r.html", "--annotate": "a.mp4"}


@pytest.mark.parametrize("option", list(OPTIONS))
def test_no_output_option_writes_over_an_input(option: str, clip: Path, tmp_path: Path) -> None:
    """Each output named after the input itself (with the suffix the option wants, the input renamed
    to match), and after a second input that is read later: refused before anything is written."""
    target = clip.with_suffix(Path(OPTIONS[option]).suffix)
    if target != clip:
        clip.rename(target)
    before = digest(target)
    result = invoke("analyze", str(target), option, str(target))
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert f"{option} {target} is also an input" in line
    assert digest(target) == before


def test_an_annotation_named_like_a_later_input_is_refused(clip: Path, tmp_path: Path) -> None:
    later = tmp_path / "out-clip2.mp4"
    later.write_bytes(clip.read_bytes())
    (tmp_path / "clip2.mp4").write_bytes(clip.read_bytes())
    before = digest(later)
    result = invoke("analyze", str(tmp_path / "clip2.mp4"), str(later), "--annotate", str(tmp_path / "out.mp4"))
    assert result.exit_code == 2 and "--annotate" in result.stderr and "is also an input" in result.stderr
    assert digest(later) == before


def one_file_two_names(folder: Path, first: str, second: str) -> tuple[Path, Path]:
    """One file under a name each option accepts (its suffix): the same name where both want the
    same suffix, else a second name hard-linked to the first. Only the same-file check can refuse it."""
    one = folder / f"shared{Path(first).suffix}"
    one.write_text("kept\n")
    if Path(second).suffix == one.suffix:
        return one, one
    other = folder / f"alias{Path(second).suffix}"
    other.hardlink_to(one)
    return one, other


@pytest.mark.parametrize(("first", "second"), list(itertools.combinations(OPTIONS, 2)))
def test_two_outputs_never_share_a_file(first: str, second: str, clip: Path, tmp_path: Path) -> None:
    one, other = one_file_two_names(tmp_path, OPTIONS[first], OPTIONS[second])
    result = invoke("analyze", str(clip), first, str(one), second, str(other))
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert f"{second} {other} is the same file as {first} {one}" in line
    assert one.read_text() == "kept\n"


def test_two_videos_of_one_name_get_outputs_of_their_own(clip: Path, tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "clip.mp4").write_bytes(clip.read_bytes())
    result = invoke("analyze", str(tmp_path / "a" / "clip.mp4"), str(tmp_path / "b" / "clip.mp4"),
                    "--report", str(tmp_path / "r.html"), "--annotate", str(tmp_path / "ann.mp4"), "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    for name in ("r-clip.html", "r-clip-2.html", "ann-clip.mp4", "ann-clip-2.mp4"):
        assert (tmp_path / name).stat().st_size > 0, name


def test_the_history_is_not_an_analysed_input(clip: Path, tmp_path: Path) -> None:
    before = digest(clip)
    result = invoke("analyze", str(clip), "--history", env={"HEADWATCH_OUTPUT_HISTORY": str(clip)})
    assert result.exit_code == 2 and "--history" in result.stderr
    assert digest(clip) == before and not list(tmp_path.glob("clip.mp4.*"))  # not moved aside either


def test_an_analysis_of_nothing_leaves_the_record_file_alone(tmp_path: Path) -> None:
    records = tmp_path / "r.csv"
    records.write_text("path,t_s\nold.mp4,1.0\n")
    result = invoke("analyze", str(tmp_path / "typo.mp4"), "--out", str(records))
    assert result.exit_code == 1 and "typo.mp4" in result.stderr
    assert records.read_text() == "path,t_s\nold.mp4,1.0\n"


def test_history_export_never_writes_over_the_history(tmp_path: Path) -> None:
    database = tmp_path / "h.sqlite"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE t (x)")
    before = digest(database)
    for target in (database, tmp_path / "." / "h.sqlite"):
        result = invoke("history", "export", "--csv", str(target), "--history", str(database))
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1
    assert digest(database) == before


def test_file_names_reach_the_terminal_escaped(clip: Path, tmp_path: Path) -> None:
    """A name with an OSC sequence (retitles the terminal) and a newline (forges a line of its own)."""
    hostile = tmp_path / "a\x1b]0;pwned\x07\nheadwatch: all fine.mp4"
    clip.rename(hostile)
    missing = tmp_path / "gone\x1b[2J.mp4"
    result = invoke("analyze", str(hostile), str(missing), "--jobs", "1")
    assert result.exit_code == 1
    for stream in (result.stdout, result.stderr):
        assert "\x1b" not in stream and "\x07" not in stream
        assert not any(line.startswith("headwatch: all fine") for line in stream.splitlines())
    assert "a\\x1b]0;pwned\\x07\\nheadwatch: all fine.mp4" in result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert "gone\\x1b[2J.mp4" in line


def test_a_file_name_is_never_a_formula_in_the_csv(clip: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import csv

    monkeypatch.chdir(tmp_path)
    clip.rename(tmp_path / "=HYPERLINK(1).mp4")
    assert invoke("analyze", "=HYPERLINK(1).mp4", "--out", "r.csv", "--jobs", "1").exit_code == 0
    rows = list(csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8")))
    assert rows and all(row["path"] == "'=HYPERLINK(1).mp4" for row in rows)


def test_a_report_that_cannot_be_written_loses_nothing_else(clip: Path, tmp_path: Path) -> None:
    import json

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    records, events = tmp_path / "r.jsonl", tmp_path / "e.jsonl"
    result = invoke("analyze", str(clip), "--json", "--out", str(records), "--events", str(events),
                    "--report", str(blocker / "r.html"), "--annotate", str(blocker / "a.mp4"), "--jobs", "1",
                    "--bad-for", "1")
    assert result.exit_code == 1
    (summary,) = json.loads(result.stdout)["files"]  # the file's report is all there
    assert summary["frames"] == summary["frames_with_person"] == 5  # 1 s at analyze's 5 fps (the tests' rate)
    assert len(records.read_text().splitlines()) == 5
    assert events.exists()
    problems = [line for line in result.stderr.strip().splitlines() if line.startswith("headwatch: error:")]
    assert len(problems) == 2 and all("not-a-folder" in line for line in problems)
    assert f"headwatch: wrote 5 records to {records}" in result.stderr  # what was written is said


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_keeps_what_was_measured_with_the_learned_reference(write_video: WriteVideo, grace_hopper: np.ndarray,
                                                                   tmp_path: Path) -> None:
    """The default reference judges a video once it is measured: interrupted half-way, the video in
    flight is judged as far as it got, and its records reach --out (none did)."""
    import json
    import signal
    import subprocess
    import time

    import psutil

    clip = write_video("long.mp4", [cv2.resize(grace_hopper, (256, 288))] * 1000, 5.0)  # 200 s, 1000 looks
    records = tmp_path / "r.jsonl"
    process = subprocess.Popen([sys.executable, "-m", "headwatch", "analyze", str(clip), "--out", str(records),
                                "--jobs", "1", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**EVERY_LOOK_ENV, "HEADWATCH_CAPTURE_ANALYZE_FPS": "5"})  # every frame a look
    watched = psutil.Process(process.pid)
    deadline = time.monotonic() + 120
    while watched.cpu_times().user < 6.0 and time.monotonic() < deadline:  # the model loaded, measuring well on
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "interrupted" in err and "Traceback" not in err
    rows = [json.loads(line) for line in records.read_text().splitlines()]
    assert 0 < len(rows) < 1000
    (summary,) = json.loads(out)["files"]
    assert summary["frames"] == len(rows)


MONITOR_OPTIONS = {"--out": "r.jsonl", "--events": "e.jsonl", "--history": "h.sqlite"}


@pytest.mark.parametrize("option", list(MONITOR_OPTIONS))
def test_the_monitor_never_writes_over_its_source(option: str, clip: Path) -> None:
    """The source under a name the option accepts (a hard link with its suffix): only the input
    check can refuse it."""
    alias = clip.with_name(f"source{Path(MONITOR_OPTIONS[option]).suffix}")
    alias.hardlink_to(clip)
    before = digest(clip)
    result = invoke("monitor", "--source", str(clip), "--no-realtime", "--notify", "none", option, str(alias))
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert f"{option} {alias} is also an input" in line
    assert digest(clip) == before and sorted(p.name for p in clip.parent.iterdir()) == sorted([clip.name, alias.name])


@pytest.mark.parametrize(("first", "second"), list(itertools.combinations(MONITOR_OPTIONS, 2)))
def test_the_monitors_outputs_never_share_a_file(first: str, second: str, clip: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared.jsonl"
    shared.write_text("kept\n")
    result = invoke("monitor", "--source", str(clip), "--no-realtime", "--notify", "none", first, str(shared),
                    second, str(shared))
    assert result.exit_code == 2 and "same file as" in result.stderr
    assert shared.read_text() == "kept\n"


def test_report_never_writes_its_page_over_the_history(tmp_path: Path) -> None:
    from headwatch.storage.history import History

    database = tmp_path / "h.sqlite"
    History.open(database).close()
    before = digest(database)
    link = tmp_path / "h.html"
    link.symlink_to(database)
    for target in (database, link):
        result = invoke("report", "--today", "--history", str(database), "--html", str(target))
        assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert digest(database) == before
