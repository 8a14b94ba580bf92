"""Another user on the same machine against root's headwatch: nobody (through setpriv) plants a
package, a runtime folder, links and hostile commands where a shared folder lets them, and none of
it runs, pauses, stops or writes anything. Each test reproduces an attack that worked before."""

from __future__ import annotations

import datetime
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import WriteVideo, needs_nobody, wait_for
from headwatch.cli import app
from headwatch.errors import HeadwatchError, without_password

NOBODY = 65534
runner = CliRunner()


def _desk_profile() -> object:
    from headwatch.posture.calibration import Baseline, Profile

    return Profile("desk", "profile", {"slouch_deg": Baseline(25.0, 1.0, 30)}, 30, source="0")


DESK = _desk_profile()


def as_nobody(*argv: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> \
        subprocess.CompletedProcess[str]:
    """Any command run as nobody (a second real user)."""
    return subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv],
                          capture_output=True, text=True, timeout=180, env=env, cwd=cwd)


def nobody_python(code: str) -> None:
    done = as_nobody(sys.executable, "-c", code)
    assert done.returncode == 0, done.stderr


def nobodys_folder(parent: Path, name: str) -> Path:
    """A folder nobody made (mode 0777) in a folder anybody may use."""
    folder = parent / name
    nobody_python(f"import os; os.mkdir({str(folder)!r}); os.chmod({str(folder)!r}, 0o777)")
    assert folder.stat().st_uid == NOBODY
    return folder


def victim(tmp_path: Path) -> Path:
    """A file of root's that nobody would like to see emptied or overwritten."""
    path = tmp_path / "roots-file.txt"
    path.write_text("root's own words\n")
    return path


def steady_clip(write_video: WriteVideo, grace_hopper: np.ndarray, seconds: int = 60) -> Path:
    return write_video("desk.mp4", [cv2.resize(grace_hopper, (256, 288))] * (10 * seconds), 10.0)


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def stop(monitor: subprocess.Popen[str]) -> tuple[str, str]:
    monitor.send_signal(signal.SIGINT)
    try:
        return monitor.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        monitor.kill()
        return monitor.communicate()


# -- 1 and 3: the hooks' runner ------------------------------------------------------------------


@needs_nobody
def test_a_planted_package_never_runs_and_the_hooks_token_is_in_no_argv(
        nobodys_home: Path, tmp_path: Path, write_video: WriteVideo, grace_hopper: np.ndarray) -> None:
    """Root starts the monitor with an --on-alert hook carrying a token, from a folder nobody may
    write. nobody's ``headwatch/__init__.py`` there must never run (the runner used to be started
    with ``-m``, which puts the working folder first), and ``ps`` as nobody must not show the token."""
    shared = nobodys_folder(nobodys_home, "team-share")
    ran = shared / "planted-ran"
    planted = f"open({str(ran)!r}, 'w').write(str(__import__('os').getuid()))\n"
    nobody_python(f"import os; os.mkdir({str(shared / 'headwatch')!r}); "
                  f"open({str(shared / 'headwatch' / '__init__.py')!r}, 'w').write({planted!r})")
    mark = tmp_path / "hook.txt"
    token = "Bearer s3cr3t-27-token"
    hook = f"{sys.executable} -c \"open({str(mark)!r}, 'a').write('ran')\" '{token}'"
    # The hook as the config gives it (a 0600 file; here its environment variable, which only the
    # user may read); every look bad, so the hook runs within seconds.
    env = {**os.environ, "HEADWATCH_NOTIFY_ON_ALERT": hook, "HEADWATCH_ALERTS_BAD_FOR_S": "1",
           "HEADWATCH_THRESHOLDS_EAR_HEIGHT_FACE_RATIO": "5", "HEADWATCH_REFERENCE_MODE": "absolute"}
    # `headwatch` as its console script starts it: without the working folder on sys.path.
    monitor = subprocess.Popen([sys.executable, "-P", "-m", "headwatch", "monitor", "--source",
                                str(steady_clip(write_video, grace_hopper)), "--realtime", "--notify", "none",
                                "--no-history"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=shared)
    try:
        assert wait_for(mark.exists, 90), "the hook never ran"
        listing = as_nobody("ps", "-ww", "-eo", "args")  # -ww: whole lines, however long
        assert listing.returncode == 0
        runner_lines = [line for line in listing.stdout.splitlines() if "headwatch.system.hook_runner" in line]
        assert runner_lines, "the runner is not in the process list at all"  # so its argv was read
        # headwatch's own processes (the hook itself, the user's command, shows what it was given)
        assert not [line for line in listing.stdout.splitlines() if "headwatch" in line and "s3cr3t" in line]
    finally:
        stop(monitor)
    assert not ran.exists(), f"nobody's package ran as uid {ran.read_text()}"


# -- 2: the runtime folder ----------------------------------------------------------------------


@needs_nobody
def test_a_runtime_folder_another_user_made_can_neither_pause_stop_nor_write(
        nobodys_home: Path, tmp_path: Path, write_video: WriteVideo, grace_hopper: np.ndarray) -> None:
    """XDG_RUNTIME_DIR points at a shared folder where nobody made headwatch's folder first. nobody
    plants the monitor's pause marker as a link to root's file and sends pause, then stop: the
    monitor used to empty root's file, pause, and stop. Now it refuses the folder in one line."""
    runtime = nobodys_folder(nobodys_home, "run")
    channel = nobodys_folder(runtime, "headwatch")
    target = victim(tmp_path)
    samples = tmp_path / "samples.jsonl"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    monitor = subprocess.Popen([sys.executable, "-m", "headwatch", "monitor", "--source",
                                str(steady_clip(write_video, grace_hopper)), "--realtime", "--notify", "none",
                                "--no-history", "--out", str(samples)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert wait_for(lambda: lines(samples) >= 3, 90)
        nobody_python(f"import os; os.symlink({str(target)!r}, {str(channel / f'monitor-{monitor.pid}.paused')!r})")
        for action in ("pause", "stop"):
            nobody_python(f"import json, time; open({str(channel / 'control.json')!r}, 'w')"
                          f".write(json.dumps({{'action': {action!r}, 'seconds': None, 'issued': time.time()}}))")
            time.sleep(2.0)
            before = lines(samples)
            assert wait_for(lambda before=before: lines(samples) >= before + 2, 30), f"{action} reached the monitor"
        assert monitor.poll() is None  # not stopped
    finally:
        _, err = stop(monitor)
    assert target.read_text() == "root's own words\n"
    assert f"cannot set up `headwatch pause`/`resume` ({runtime}: the folder belongs to another user " \
           f"(uid {NOBODY})" in err
    assert not list(channel.glob("monitor-*.pid"))  # nothing of root's was written there


@needs_nobody
@pytest.mark.parametrize("case", ["shared XDG_RUNTIME_DIR", "fallback made by another user", "link"])
def test_the_pause_channel_refuses_a_folder_it_does_not_own(case: str, nobodys_home: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The channel's folder is made without exist_ok and checked with lstat: whoever made it first
    (the race's winner), a folder others may write into, or a link, is refused in one line."""
    from headwatch.app.doctor import _pause_channel
    from headwatch.system.control import ControlChannel

    if case == "shared XDG_RUNTIME_DIR":
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(nobodys_folder(nobodys_home, "run")))
        expected = "the folder belongs to another user"
    elif case == "fallback made by another user":
        # No XDG_RUNTIME_DIR: platformdirs' fallback, runtime-UID in the temporary folder, which
        # nobody created first (what winning the race between a check and a mkdir comes to).
        if Path(f"/run/user/{os.geteuid()}").exists():
            pytest.skip(f"/run/user/{os.geteuid()} exists: the fallback is not used")
        monkeypatch.delenv("XDG_RUNTIME_DIR")
        monkeypatch.setenv("TMPDIR", str(nobodys_home))
        monkeypatch.setattr("tempfile.tempdir", None)  # read TMPDIR again
        nobodys_folder(nobodys_home, f"runtime-{os.geteuid()}")
        expected = "another user"
    else:
        base = nobodys_home / "mine"
        base.mkdir(mode=0o700)
        (base / "headwatch").symlink_to(nobodys_folder(nobodys_home, "theirs"))
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(base))
        expected = "expected a folder, found a link"
    with pytest.raises(HeadwatchError, match=expected):
        ControlChannel()
    check = _pause_channel()  # what `headwatch doctor` says of it
    assert check.ok is False and expected in check.said and check.line().startswith("FIX  pause channel")
    result = runner.invoke(app, ["pause", "15m"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1


@needs_nobody
def test_pause_and_resume_in_a_folder_the_user_cannot_read_are_one_line(nobodys_home: Path) -> None:
    from conftest import as_nobody as headwatch_as_nobody

    roots = nobodys_home / "roots-run"
    roots.mkdir(mode=0o700)  # root's: nobody may not even look inside
    for command in ("pause", "resume"):
        done = headwatch_as_nobody(nobodys_home, command, env={"XDG_RUNTIME_DIR": str(roots)})
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith(f"headwatch: error: {roots}: the folder belongs to another user (uid 0)")
        assert len(done.stderr.strip().splitlines()) == 1


def test_the_channels_own_files_are_private_and_never_written_through_a_link(tmp_path: Path) -> None:
    from headwatch.system.control import ControlChannel

    folder = tmp_path / "run"
    channel = ControlChannel(folder)
    try:
        assert folder.stat().st_mode & 0o777 == 0o700
        assert channel.pid_file.stat().st_mode & 0o777 == 0o600
        target = victim(tmp_path)
        marker = channel.pid_file.with_suffix(".paused")
        marker.symlink_to(target)  # left behind in the folder somehow
        channel.mark_paused(True)
        assert not marker.is_symlink() and marker.stat().st_mode & 0o777 == 0o600
        assert target.read_text() == "root's own words\n"
    finally:
        channel.close()


# -- 6: hostile durations ------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", ["NaN", "Infinity", "-Infinity", "1e400", "-5", "0", '"600"', "true",
                                     "604801"])
def test_a_hostile_pause_in_the_command_file_is_ignored(tmp_path: Path, seconds: str) -> None:
    """The monitor died on `"seconds": Infinity` (OverflowError) and NaN (ValueError)."""
    from headwatch.system.control import COMMAND_FILE, ControlChannel

    channel = ControlChannel(tmp_path / "run")
    try:
        (channel.folder / COMMAND_FILE).write_text(f'{{"action": "pause", "seconds": {seconds}, "issued": 1.0}}')
        assert channel.poll() is None
        (channel.folder / COMMAND_FILE).write_text('{"action": "pause", "seconds": 900, "issued": 2.0}')
        command = channel.poll()
        assert command is not None and command.seconds == 900.0 and math.isfinite(command.seconds)
    finally:
        channel.close()


@pytest.mark.parametrize("duration", ["9" * 400, "9" * 400 + "h", "8d", "1e9"])
def test_a_hostile_pause_duration_is_one_line(duration: str) -> None:
    result = runner.invoke(app, ["pause", duration])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("headwatch: error: ") and len(line) < 200
    assert "at most a week" in line or "expected a duration" in line


def test_a_weeks_pause_is_still_a_pause() -> None:
    from headwatch.system.control import parse_duration

    assert parse_duration("7d") == 7 * 86400.0 and parse_duration("2d3h") == 2 * 86400.0 + 3 * 3600.0


# -- 6: passwords in stream URLs -----------------------------------------------------------------


@pytest.mark.parametrize(("url", "shown"), [
    ("http://alice:S3cret@127.0.0.1:9/x.mjpg", "http://alice:***@127.0.0.1:9/x.mjpg"),
    ("rtsp://alice:p@ss:word@cam.local/live?user=x", "rtsp://alice:***@cam.local/live?user=x"),
    ("rtsp://cam.local/live", "rtsp://cam.local/live"),
    ("rtsp://alice@cam.local/", "rtsp://alice@cam.local/"),
    ("clip:with@signs.mp4", "clip:with@signs.mp4"),
])
def test_a_stream_password_is_masked(url: str, shown: str) -> None:
    assert without_password(url) == shown


def test_a_stream_password_never_reaches_the_terminal(tmp_path: Path) -> None:
    url = "http://alice:S3cret@127.0.0.1:9/x.mjpg"  # nothing listens on the discard port
    done = subprocess.run([sys.executable, "-m", "headwatch", "monitor", "--source", url, "--notify", "none",
                           "--events", str(tmp_path / "events.jsonl"), "--duration", "3"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "S3cret" not in done.stdout + done.stderr
    assert "http://alice:***@127.0.0.1:9/x.mjpg" in done.stderr


# -- 4 and 5: files kept about a person, and links planted in shared folders ------------------


@pytest.fixture
def open_umask() -> object:
    previous = os.umask(0o022)  # the common default: new files 0644, new folders 0755
    yield None
    os.umask(previous)


def test_what_headwatch_keeps_about_a_person_is_private(tmp_path: Path, open_umask: object,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Profiles, learned references, the history with its -wal and -shm, today's page: 0600 in
    0700 folders, with a 0022 umask, a cache folder some library made 0755 first, and a history
    path that is a dangling link of the user's own."""
    from headwatch.app.report import todays_page
    from headwatch.config.settings import load_layered
    from headwatch.storage.history import History
    from headwatch.storage.profiles import save_learned, save_profile

    cache = tmp_path / "cache"
    (cache / "headwatch" / "matplotlib").mkdir(parents=True, mode=0o755)  # as matplotlib leaves it
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    profiles = tmp_path / "new" / "profiles"
    saved = save_profile(profiles, DESK)
    save_learned(profiles, "0", {})
    real_history = tmp_path / "elsewhere" / "history.sqlite"
    link = tmp_path / "history.sqlite"
    link.symlink_to(real_history)  # dangling: the user points the history at a folder yet to be made
    with History.open(link) as history:
        now = datetime.datetime.now().astimezone()
        history.end_session(history.start_session(now, "0", "absolute", "x"), now)
        for suffix in ("-wal", "-shm"):
            assert Path(str(real_history) + suffix).stat().st_mode & 0o777 == 0o600, suffix
    settings = load_layered(None, overrides={"output.history": str(link)}).settings
    page = todays_page(settings)
    for path in (saved, profiles / "learned-references.json", real_history, page):
        assert path.stat().st_mode & 0o777 == 0o600, path
    for folder in (profiles, profiles.parent, real_history.parent, page.parent):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    assert link.is_symlink()  # the user's link stays theirs


def test_todays_page_under_a_desktop_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the umask many desktops give (002: each user has a group of their own), the cache folder
    that matplotlib makes is 0775: today's page (the tray's "Open today's report") still opens,
    and the folders end 0700. A folder anybody may write into is still refused."""
    from headwatch.app.report import todays_page
    from headwatch.config.settings import load_layered

    cache = tmp_path / "cache"
    previous = os.umask(0o002)
    try:
        (cache / "headwatch" / "matplotlib").mkdir(parents=True, mode=0o775)
        os.chown(cache / "headwatch", os.getuid(), os.getgid())
        monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
        from headwatch.storage.history import History

        with History.open(tmp_path / "history.sqlite") as history:
            now = datetime.datetime.now().astimezone()
            history.end_session(history.start_session(now, "0", "absolute", "x"), now)
        settings = load_layered(None, overrides={"output.history": str(tmp_path / "history.sqlite")}).settings
        page = todays_page(settings)
        assert page.exists() and page.stat().st_mode & 0o777 == 0o600
        assert (cache / "headwatch").stat().st_mode & 0o777 == 0o700
        (cache / "headwatch").chmod(0o777)
        with pytest.raises(HeadwatchError, match="other users may write into this folder"):
            todays_page(settings)
    finally:
        os.umask(previous)


@needs_nobody
@pytest.mark.parametrize("option", ["--out", "--events", "--html", "--csv", "--history", "--annotate", "profile"])
def test_no_write_follows_a_link_another_user_planted(option: str, nobodys_home: Path, tmp_path: Path,
                                                      write_video: WriteVideo, grace_hopper: np.ndarray,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """In a shared folder (fs.protected_symlinks=0 lets root follow anyone's link there), nobody
    plants a link under the name root is about to write: root's file must stay as it was."""
    from headwatch.storage.profiles import save_profile

    shared = nobodys_folder(nobodys_home, "share")
    target = victim(tmp_path)
    names = {"--out": "frames.csv", "--events": "events.jsonl", "--html": "report.html", "--csv": "week.csv",
             "--history": "history.sqlite", "--annotate": "annotated.mp4", "profile": "desk.json"}
    planted = shared / names[option]
    nobody_python(f"import os; os.symlink({str(target)!r}, {str(planted)!r})")
    if option == "profile":
        with pytest.raises(HeadwatchError, match="a link made by another user"):
            save_profile(shared, DESK)
    else:
        history = tmp_path / "history.sqlite"
        clip = steady_clip(write_video, grace_hopper, seconds=2)
        commands = {
            "--out": ["analyze", str(clip), "--out", str(planted)],
            "--annotate": ["analyze", str(clip), "--annotate", str(planted)],
            "--events": ["monitor", "--source", str(clip), "--no-realtime", "--notify", "none", "--history",
                         str(history), "--events", str(planted)],
            "--history": ["monitor", "--source", str(clip), "--no-realtime", "--notify", "none", "--history",
                          str(planted)],
            "--html": ["report", "--history", str(history), "--html", str(planted)],
            "--csv": ["history", "export", "--history", str(history), "--csv", str(planted)],
        }
        if option in ("--html", "--csv"):  # a history to report on, first
            assert runner.invoke(app, [*commands["--history"][:-1], str(history)]).exit_code == 0
        result = runner.invoke(app, commands[option])
        assert isinstance(result.exception, SystemExit | None), repr(result.exception)
        assert f"{planted}: a link made by another user (uid {NOBODY})" in result.stderr
        if option != "--history":  # without its history the monitor goes on, saying so
            assert result.exit_code != 0
    assert target.read_text() == "root's own words\n"
    assert planted.is_symlink()


@needs_nobody
@pytest.mark.parametrize("option", ["--history", "--annotate"])
def test_no_write_goes_into_a_file_another_user_put_there_first(
        option: str, nobodys_home: Path, write_video: WriteVideo, grace_hopper: np.ndarray) -> None:
    """nobody creates the history's (or the annotated video's) name first, empty and 0666: root's
    rows (frames) would land in a file nobody owns and reads. It is refused in one line."""
    shared = nobodys_folder(nobodys_home, "share")
    planted = shared / ("history.sqlite" if option == "--history" else "annotated.mp4")
    nobody_python(f"import os; open({str(planted)!r}, 'w').close(); os.chmod({str(planted)!r}, 0o666)")
    clip = steady_clip(write_video, grace_hopper, seconds=2)
    command = (["monitor", "--source", str(clip), "--no-realtime", "--notify", "none", "--history", str(planted)]
               if option == "--history" else ["analyze", str(clip), "--annotate", str(planted)])
    result = runner.invoke(app, command)
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)
    assert f"{planted}: another user's file" in result.stderr, result.stderr
    assert planted.stat().st_size == 0 and planted.stat().st_uid == NOBODY


def test_a_profile_is_written_through_an_exclusive_temporary(tmp_path: Path) -> None:
    """A fixed NAME.json.tmp used to be written without O_EXCL: whatever stood there was followed."""
    from headwatch.storage.profiles import save_profile

    target = victim(tmp_path)
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "desk.json.tmp").symlink_to(target)
    path = save_profile(folder, DESK)
    assert json.loads(path.read_text())["name"] == "desk"
    assert target.read_text() == "root's own words\n"


def test_a_file_name_with_a_semicolon_stays_one_cell(tmp_path: Path, write_video: WriteVideo,
                                                       grace_hopper: np.ndarray) -> None:
    """A spreadsheet that splits on ";" (many locales) must not find a formula in a file name such
    as "a;=1+1;b.mp4": every text cell of --out is quoted."""
    import csv

    clip = tmp_path / "a;=1+1;b.mp4"
    steady = steady_clip(write_video, grace_hopper, seconds=2)
    clip.write_bytes(steady.read_bytes())
    out = tmp_path / "frames.csv"
    assert runner.invoke(app, ["analyze", str(clip), "--out", str(out)]).exit_code == 0
    rows = list(csv.reader(out.read_text().splitlines(), delimiter=";"))
    assert len(rows) > 1 and all(not cell.lstrip('"').startswith(tuple("=+-@")) for row in rows for cell in row)
