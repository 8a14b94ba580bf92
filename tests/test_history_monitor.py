"""The monitor records into a real SQLite history: a SIGKILL loses at most the interval in
progress, --no-history records nothing, a damaged file is moved aside with one line."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import WriteVideo, as_nobody, exclusive_lock, needs_nobody
from headwatch.cli import app

runner = CliRunner()


def monitor(*args: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["monitor", "--no-realtime", "--notify", "none", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


@pytest.fixture
def long_clip(write_video: WriteVideo, grace_hopper: np.ndarray) -> Path:
    return write_video("desk.mp4", [cv2.resize(grace_hopper, (256, 288))] * 200, 5.0)  # 40 s


def test_a_session_is_recorded_with_its_intervals_and_events(tilting_clip: Path, tmp_path: Path) -> None:
    db, events = tmp_path / "history.sqlite", tmp_path / "events.jsonl"
    result = monitor("--source", str(tilting_clip), "--bad-for", "3", "--reference", "absolute",
                     "--history", str(db), "--events", str(events))
    assert result.exit_code == 0
    connection = sqlite3.connect(db)
    ((session, ended, reference),) = connection.execute("SELECT id, ended, reference FROM sessions").fetchall()
    assert ended is not None and reference == "absolute limits"
    intervals = connection.execute("SELECT seconds, bad_s, bad_by_reason FROM intervals ORDER BY started").fetchall()
    assert len(intervals) == 2  # 16 s: one full interval and the rest
    assert sum(row[1] for row in intervals) > 4.0  # she leans for 7 s
    assert "shoulder_tilt" in intervals[0][2]
    kinds = [row[0] for row in connection.execute("SELECT kind FROM events ORDER BY at")]
    assert kinds == ["bad_posture", "posture_recovered"]
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert [line["session"] for line in lines] == [session, session] and all("at" in line for line in lines)


def test_no_history_records_nothing(tilting_clip: Path, isolated_settings: Path) -> None:
    assert monitor("--source", str(tilting_clip), "--no-history").exit_code == 0
    assert not list(isolated_settings.rglob("history.sqlite"))
    assert monitor("--source", str(tilting_clip), "--duration", "2").exit_code == 0
    assert list(isolated_settings.rglob("history.sqlite"))  # by default it does record


def test_a_history_that_is_not_headwatchs_is_left_alone_in_one_line(tilting_clip: Path, tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    db.write_bytes(b"not a database" * 100)
    result = monitor("--source", str(tilting_clip), "--duration", "2", "--history", str(db))
    assert result.exit_code == 0  # it monitors on, without the history
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert "not a headwatch history" in line and "left as it is" in line and "monitoring without the history" in line
    assert db.read_bytes() == b"not a database" * 100 and not list(tmp_path.glob("*damaged*"))
    for command in (["history", "list"], ["report", "--today"]):
        listed = CliRunner().invoke(app, [*command, "--history", str(db)])
        assert listed.exit_code == 1 and len(listed.stderr.strip().splitlines()) == 1, command
    assert db.read_bytes() == b"not a database" * 100


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_sigkill_loses_at_most_the_interval_in_progress(long_clip: Path, tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    env = {**os.environ, "HEADWATCH_OUTPUT_PROFILES_DIR": str(tmp_path / "profiles")}
    process = subprocess.Popen([sys.executable, "-m", "headwatch", "-q", "monitor", "--source", str(long_clip),
                                "--realtime", "--notify", "none", "--history", str(db)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    started = time.monotonic()
    try:
        while time.monotonic() - started < 60:  # until two intervals are in
            time.sleep(0.5)
            if db.exists():
                try:
                    if sqlite3.connect(db).execute("SELECT count(*) FROM intervals").fetchone()[0] >= 2:
                        break
                except sqlite3.Error:
                    pass
        time.sleep(3.0)  # into the third interval
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    connection = sqlite3.connect(db)
    ((ended,),) = connection.execute("SELECT ended FROM sessions").fetchall()
    assert ended is None  # it never got to end the session
    seconds = [row[0] for row in connection.execute("SELECT seconds FROM intervals ORDER BY started")]
    assert seconds[:2] == [10.0, 10.0]  # both closed intervals survived; only the one in progress is lost


def test_analyze_history_records_each_video_as_a_session(tilting_clip: Path, tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    result = runner.invoke(app, ["analyze", str(tilting_clip), str(tilting_clip), "--history", "--bad-for", "3",
                                 "--reference", "absolute"], env={"HEADWATCH_OUTPUT_HISTORY": str(db)})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0
    connection = sqlite3.connect(db)
    sessions = connection.execute("SELECT id, source, ended FROM sessions ORDER BY id").fetchall()
    assert [(s[1], s[2] is not None) for s in sessions] == [(str(tilting_clip), True)] * 2
    seconds = connection.execute("SELECT sum(seconds) FROM intervals WHERE session_id = 1").fetchone()[0]
    assert 15.0 <= seconds <= 16.5  # the 16 s clip, sampled at 5 fps
    assert [k for (k,) in connection.execute("SELECT kind FROM events WHERE session_id = 2 ORDER BY at")] == [
        "bad_posture", "posture_recovered"]


@pytest.fixture
def locked_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A history another process holds BEGIN EXCLUSIVE on, with the busy timeout cut to 0.5 s."""
    from headwatch.storage import history as store
    db = tmp_path / "history.sqlite"
    store.History.open(db).close()
    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 0.5)
    with exclusive_lock(db):
        yield db
    assert not list(tmp_path.glob("*damaged*"))  # waited for, reported, never moved aside


def test_a_locked_history_means_monitoring_without_it_in_one_line(tilting_clip: Path, locked_history: Path) -> None:
    result = monitor("--source", str(tilting_clip), "--duration", "2", "--history", str(locked_history))
    assert result.exit_code == 0
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert "locked by another program" in line and "monitoring without the history" in line
    pruned = runner.invoke(app, ["history", "prune", "--days", "1", "--history", str(locked_history)])
    assert pruned.exit_code == 1 and "locked by another program" in pruned.stderr
    assert pruned.exception is None or isinstance(pruned.exception, SystemExit)


def test_analyze_with_a_history_it_cannot_use_analyses_without_it(tilting_clip: Path, tmp_path: Path) -> None:
    db = tmp_path / "notes.sqlite"
    db.write_text("my notes, not a history")
    result = runner.invoke(app, ["analyze", str(tilting_clip), "--history", "--json", "--jobs", "1"],
                           env={"HEADWATCH_OUTPUT_HISTORY": str(db)})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["files"][0]["frames"] > 0  # analysed all the same
    (line,) = result.stderr.strip().splitlines()
    assert "not a headwatch history" in line and "analysing without the history" in line
    assert db.read_text() == "my notes, not a history"


@needs_nobody
def test_a_read_only_history_means_running_without_it(grace_hopper: np.ndarray, nobodys_home: Path) -> None:
    """A history the user may read but not write (root reads and writes everything, so the commands
    run as nobody): the monitor and analyze --history crashed; now they run without it, in one line."""
    from headwatch.storage.history import History

    clip = nobodys_home / "clip.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 5.0, (256, 288))
    for _ in range(10):
        writer.write(cv2.resize(grace_hopper, (256, 288)))
    writer.release()
    clip.chmod(0o644)
    shelf = nobodys_home / "shelf"
    shelf.mkdir()
    History.open(shelf / "history.sqlite").close()
    (shelf / "history.sqlite").chmod(0o644)
    shelf.chmod(0o755)  # nobody may read the history, not write it nor its -wal beside it
    before = (shelf / "history.sqlite").read_bytes()
    for command, expected_code in ((["monitor", "--source", str(clip), "--no-realtime", "--notify", "none"], 0),
                                   (["analyze", str(clip), "--history", "--jobs", "1"], 1)):
        done = as_nobody(nobodys_home, *command, env={"HEADWATCH_OUTPUT_HISTORY": str(shelf / "history.sqlite")})
        assert done.returncode == expected_code, done.stderr
        assert "Traceback" not in done.stderr
        (line,) = [e for e in done.stderr.strip().splitlines() if "history" in e]
        # root's file, to nobody: refused as another user's before SQLite is asked.
        assert "another user's file" in line and "without the history" in line
    assert (shelf / "history.sqlite").read_bytes() == before


def test_analyze_with_a_locked_history_reports_all_the_same_in_one_line(tilting_clip: Path,
                                                                         locked_history: Path) -> None:
    result = runner.invoke(app, ["analyze", str(tilting_clip), "--history", "--json", "--jobs", "1"],
                           env={"HEADWATCH_OUTPUT_HISTORY": str(locked_history)})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["files"][0]["frames"] > 0  # the analysis is all there
    (line,) = result.stderr.strip().splitlines()
    assert "locked by another program" in line


def test_a_session_that_never_learned_is_listed_as_judged_on_the_absolute_limits(tilting_clip: Path,
                                                                                  tmp_path: Path) -> None:
    """A 16 s session with the default (learned) reference never learns it (that takes 2 minutes):
    the history names what it was really judged against, not what it set out with."""
    db = tmp_path / "history.sqlite"
    assert monitor("--source", str(tilting_clip), "--history", str(db)).exit_code == 0
    listed = runner.invoke(app, ["history", "list", "--json", "--history", str(db)])
    (session,) = json.loads(listed.stdout)["sessions"]
    assert session["reference"].startswith("absolute limits (learning your upright posture: ")
    assert session["monitored_s"] == round(session["monitored_s"], 1)  # no 13.399999999999999
