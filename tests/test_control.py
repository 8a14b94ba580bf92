"""Pause and resume through the control channel, with a real monitor process on a video source:
frames stop being read while paused, and the pause is recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import WriteVideo, wait_for
from headwatch.system.control import parse_duration


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0




@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_pause_stops_reading_frames_and_resume_goes_on(tmp_path: Path, write_video: WriteVideo,
                                                       grace_hopper: np.ndarray) -> None:
    clip = write_video("desk.mp4", [cv2.resize(grace_hopper, (256, 288))] * 300, 5.0)  # 60 s
    samples, events, db = tmp_path / "samples.jsonl", tmp_path / "events.jsonl", tmp_path / "history.sqlite"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path / "run"), "HEADWATCH_OUTPUT_PROFILES_DIR":
           str(tmp_path / "profiles")}
    headwatch = [sys.executable, "-m", "headwatch"]
    monitor = subprocess.Popen([*headwatch, "-q", "monitor", "--source", str(clip), "--realtime", "--notify", "none",
                                "--out", str(samples), "--events", str(events), "--history", str(db)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert wait_for(lambda: lines(samples) >= 5)
        early = subprocess.run([*headwatch, "resume"], capture_output=True, text=True, env=env, timeout=30)
        assert early.returncode == 0 and early.stdout.strip() == "nothing was paused: the running monitor is watching"
        paused = subprocess.run([*headwatch, "pause"], capture_output=True, text=True, env=env, timeout=30)
        assert paused.returncode == 0 and paused.stdout.startswith("paused"), paused.stderr
        # Taken between two looks: the monitor marks it (a fixed wait raced a slow look).
        assert wait_for(lambda: list((tmp_path / "run" / "headwatch").glob("monitor-*.paused")))
        during = lines(samples)
        time.sleep(3.0)
        assert lines(samples) == during  # not a frame read while paused
        resumed = subprocess.run([*headwatch, "resume"], capture_output=True, text=True, env=env, timeout=30)
        assert resumed.returncode == 0 and resumed.stdout.strip() == "resumed", resumed.stderr
        assert wait_for(lambda: lines(samples) >= during + 3)
    finally:
        monitor.send_signal(signal.SIGTERM)
        out, err = monitor.communicate(timeout=30)
    assert monitor.returncode == 0, err
    assert "session summary" in out
    (paused_line,) = [line for line in out.splitlines() if line.strip().startswith("paused ")]
    assert paused_line.split()[-1] in ("3s", "4s", "5s", "6s")  # the summary counts the pause too
    kinds = [json.loads(line)["kind"] for line in events.read_text().splitlines()]
    assert kinds[:2] == ["paused", "resumed"]
    import sqlite3

    recorded = [k for (k,) in sqlite3.connect(db).execute("SELECT kind FROM events ORDER BY at")]
    assert recorded[:2] == ["paused", "resumed"]  # the history records the pause
    assert not list((tmp_path / "run" / "headwatch").glob("monitor-*"))  # the monitor removed its channel
    nobody = subprocess.run([*headwatch, "pause"], capture_output=True, text=True, env=env, timeout=30)
    assert nobody.returncode == 1
    assert nobody.stderr.strip() == "headwatch: error: no headwatch monitor is running (start one with " \
                                    "`headwatch monitor`)"


@pytest.mark.parametrize(("text", "seconds"), [("90", 90.0), ("90s", 90.0), ("15m", 900.0), ("1h30m", 5400.0)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "15x", "m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX pseudo-terminal")
def test_p_in_the_terminal_pauses_and_resumes(tmp_path: Path, write_video: WriteVideo,
                                              grace_hopper: np.ndarray) -> None:
    import pty

    clip = write_video("desk.mp4", [cv2.resize(grace_hopper, (256, 288))] * 300, 5.0)
    samples = tmp_path / "samples.jsonl"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path / "run"), "HEADWATCH_OUTPUT_PROFILES_DIR":
           str(tmp_path / "profiles")}
    master, slave = pty.openpty()  # the monitor's terminal: keys typed into it arrive one by one
    errors = (tmp_path / "stderr.txt").open("w")
    monitor = subprocess.Popen([sys.executable, "-m", "headwatch", "monitor", "--source", str(clip), "--realtime",
                                "--notify", "none", "--no-history", "--out", str(samples)],
                               stdin=slave, stdout=slave, stderr=errors, env=env)
    os.close(slave)
    try:
        assert wait_for(lambda: lines(samples) >= 5)
        # The keys are said once where the monitor reads them.
        assert "keys: p pause/resume, s snooze notifications, u I'm sitting upright (re-learn), Ctrl-C stop" in \
            (tmp_path / "stderr.txt").read_text()
        os.write(master, b"p")
        time.sleep(1.5)
        during = lines(samples)
        time.sleep(2.5)
        assert lines(samples) == during  # paused by the key
        os.write(master, b"p")
        assert wait_for(lambda: lines(samples) >= max(during + 3, 12))  # and resumed by it
        os.write(master, b"u")  # "I'm sitting upright now": the reference learned from the last looks
        assert wait_for(lambda: "your upright posture is learned again from the last seconds" in
                        (tmp_path / "stderr.txt").read_text())
    finally:
        monitor.send_signal(signal.SIGTERM)
        monitor.wait(timeout=30)
        os.close(master)
        errors.close()
    assert monitor.returncode == 0


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX pseudo-terminal")
@pytest.mark.parametrize("snooze", [False, True])
def test_s_in_the_terminal_snoozes_notifications(tmp_path: Path, tilting_clip: Path, snooze: bool) -> None:
    import pty
    import select

    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path / "run"), "HEADWATCH_OUTPUT_PROFILES_DIR":
           str(tmp_path / "profiles")}
    master, slave = pty.openpty()
    monitor = subprocess.Popen([sys.executable, "-m", "headwatch", "monitor", "--source", str(tilting_clip),
                                "--realtime", "--notify", "terminal", "--no-history", "--bad-for", "3",
                                "--reference", "absolute"], stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    output, typed = b"", False
    while monitor.poll() is None or select.select([master], [], [], 0.1)[0]:
        if snooze and not typed and b" fps" in output:  # the monitor is running: type s
            os.write(master, b"s")
            typed = True
        if select.select([master], [], [], 0.2)[0]:
            try:
                output += os.read(master, 4096)
            except OSError:  # the terminal closed: the monitor has finished
                break
    monitor.wait(timeout=30)
    os.close(master)
    text = output.decode(errors="ignore")
    assert monitor.returncode == 0 and "session summary" in text
    assert ("[headwatch] Bad posture" in text) is not snooze
    # Said in the status line itself ([snoozed 29m58s]), not as a line glued onto it.
    assert ("[snoozed 29m" in text) is snooze
    assert "notifications snoozed for" not in text


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_at_the_command_file_does_not_freeze_the_monitor(tmp_path: Path) -> None:
    import threading

    from headwatch.system.control import COMMAND_FILE, ControlChannel

    channel = ControlChannel(tmp_path / "run")
    os.mkfifo(tmp_path / "run" / COMMAND_FILE)
    answers: list[object] = []
    poller = threading.Thread(target=lambda: answers.append(channel.poll()), daemon=True)
    poller.start()
    poller.join(5)
    assert not poller.is_alive() and answers == [None]  # it would block in open() forever
    channel.close()


def test_a_pid_file_left_by_a_crash_is_no_running_monitor(tmp_path: Path) -> None:
    from headwatch.errors import HeadwatchError
    from headwatch.system.control import running_monitors, send

    folder = tmp_path / "run"
    folder.mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (folder / f"monitor-{gone.stdout.strip()}.pid").write_text(gone.stdout.strip())  # its process has ended
    with pytest.raises(HeadwatchError, match="no headwatch monitor is running"):
        send("pause", 900.0, folder)
    assert not list(folder.glob("monitor-*.pid")) and running_monitors(folder) == []


def test_two_monitors_each_keep_their_own_registration(tmp_path: Path) -> None:
    from headwatch.system.control import ControlChannel, running_monitors, send

    first, second = ControlChannel(tmp_path / "run"), ControlChannel(tmp_path / "run")
    second.pid_file.unlink()  # two processes in truth; here one process plays both
    second.pid_file = tmp_path / "run" / "monitor-1.pid"  # pid 1 (init) is alive
    second.pid_file.write_text("1")
    first.close()  # the first to stop must not unregister the other
    assert running_monitors(tmp_path / "run") == [1]
    send("pause", None, tmp_path / "run")
    assert second.poll() is not None
    second.close()
    assert running_monitors(tmp_path / "run") == []


def test_resume_says_nothing_was_paused_and_cancels_a_pause_not_yet_taken(isolated_settings: Path) -> None:
    """A monitor reads commands between looks, seconds apart when posture is stable: a resume
    sent before it took the pause said "nothing to resume" and left it to pause until resumed
    again. Now the resume replaces the pause not yet taken, and "nothing was paused" is said only
    when nothing was."""
    from headwatch.app.control import NOTHING_PAUSED, pause_monitor, resume_monitor
    from headwatch.system.control import COMMAND_FILE, ControlChannel, control_dir

    channel = ControlChannel()  # this process plays the running monitor
    try:
        assert resume_monitor() == NOTHING_PAUSED
        assert not (control_dir() / COMMAND_FILE).exists()  # nothing sent
        pause_monitor("15m")
        assert resume_monitor() == "resumed"  # the pause is on its way, not taken yet
        taken = channel.poll()
        assert taken is not None and taken.action == "resume"  # the monitor never pauses
        assert resume_monitor() == NOTHING_PAUSED
        pause_monitor()
        taken = channel.poll()
        assert taken is not None and taken.action == "pause"
        channel.mark_paused(True)  # as the monitor does on taking it
        assert resume_monitor() == "resumed"
        later = channel.poll()
        assert later is not None and later.action == "resume"
        channel.mark_paused(False)
        assert resume_monitor() == NOTHING_PAUSED
    finally:
        channel.close()
