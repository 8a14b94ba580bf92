"""Odd inputs as real files: a 1x1 image, a FIFO, a spans CSV with a byte-order mark, an events
file whose last line a crash cut short. Each is one line and the right exit code, the other
inputs still done."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import WriteVideo, as_nobody, needs_nobody
from headwatch.cli import app

runner = CliRunner()
posix_only = pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "mkfifo"), reason="no FIFOs here")


def invoke(*args: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.png"
    assert cv2.imwrite(str(path), np.zeros((1, 1, 3), np.uint8))
    return path


@pytest.fixture
def portrait(tmp_path: Path, grace_hopper: np.ndarray) -> Path:
    path = tmp_path / "portrait.png"
    cv2.imwrite(str(path), grace_hopper)
    return path


def test_a_one_pixel_image_is_nobody_and_the_rest_is_analysed(tiny: Path, portrait: Path) -> None:
    result = invoke("analyze", str(tiny), str(portrait), "--json")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"headwatch: error: {tiny}: no person found; headwatch needs the head and " \
                                    "shoulders in view"
    files = json.loads(result.stdout)["files"]
    assert [f["frames_with_person"] for f in files] == [0, 1]


def test_a_one_pixel_image_in_eval_and_a_one_pixel_video_in_monitor(tmp_path: Path, tiny: Path, portrait: Path,
                                                                      write_video: WriteVideo) -> None:
    for label, source in (("good", portrait), ("bad", tiny)):
        (tmp_path / "set" / label).mkdir(parents=True)
        (tmp_path / "set" / label / source.name).write_bytes(source.read_bytes())
    report = json.loads(invoke("eval", str(tmp_path / "set"), "--json").stdout)
    assert report["frames"] == 2 and report["detection_rate"] == 0.5
    clip = write_video("tiny.mp4", [np.zeros((2, 2, 3), np.uint8)] * 10, 5.0)
    result = invoke("monitor", "--source", str(clip), "--no-realtime", "--notify", "none")
    assert result.exit_code == 0
    # Nobody in 2 x 2 pixels: away (sampled at the calm rate), not a crash.
    assert "AWAY  nobody in view" in result.stdout and "monitored        1s (2 samples)" in result.stdout


@posix_only
def test_a_fifo_is_refused_at_once(tmp_path: Path, portrait: Path) -> None:
    fifo = tmp_path / "stream.mp4"
    os.mkfifo(fifo)  # nobody writes to it: reading would block forever
    result = invoke("analyze", str(fifo), str(portrait))
    assert result.exit_code == 1
    assert f"{fifo}: not a regular file" in result.stderr
    assert str(portrait) in result.stdout
    result = invoke("monitor", "--source", str(fifo), "--notify", "none")
    assert result.exit_code == 1 and f"{fifo}: not a regular file" in result.stderr


def test_a_spans_csv_with_a_byte_order_mark(tmp_path: Path, write_video: WriteVideo, grace_hopper: np.ndarray) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    clip = write_video("clip.mp4", [cv2.resize(grace_hopper, (256, 320))] * 20, 5.0)
    clip.rename(folder / "clip.mp4")
    (folder / "clip.csv").write_bytes("start_s,end_s,label\n0,4,good\n".encode("utf-8-sig"))
    result = invoke("eval", str(folder), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["frames"] == 20


def test_an_events_file_cut_mid_line_gets_the_next_event_on_its_own_line(tmp_path: Path,
                                                                         tilting_clip: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text('{"kind": "earlier"}\n{"kind": "cut sh')
    result = invoke("monitor", "--source", str(tilting_clip), "--no-realtime", "--notify", "none", "--bad-for", "3",
                    "--reference", "absolute", "--events", str(events))
    assert result.exit_code == 0
    lines = events.read_text().splitlines()
    assert lines[:2] == ['{"kind": "earlier"}', '{"kind": "cut sh']
    assert [json.loads(line)["kind"] for line in lines[2:]] == ["bad_posture", "posture_recovered"]


@pytest.mark.parametrize("args", [["analyze", "{damaged}"], ["monitor", "--source", "7", "--notify", "none"]])
def test_opencv_and_ffmpeg_chatter_is_silenced(tmp_path: Path, args: list[str]) -> None:
    """A real process (OpenCV reads its log level when cv2 is first imported): one line only."""
    import subprocess

    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(np.random.default_rng(1).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    argv = [a.format(damaged=damaged) for a in args]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENCV_", "HEADWATCH_"))}
    done = subprocess.run([sys.executable, "-m", "headwatch", *argv], capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("headwatch: error: "), done.stderr


def test_preview_without_a_display_says_so_and_monitors_on(tmp_path: Path) -> None:
    """A real process: without the check, OpenCV's Qt backend aborts it (exit 134)."""
    import subprocess

    clip = Path(__file__).resolve().parents[1] / "samples" / "grace_hopper_sway.mp4"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["HEADWATCH_OUTPUT_PROFILES_DIR"] = str(tmp_path / "profiles")
    done = subprocess.run([sys.executable, "-m", "headwatch", "monitor", "--source", str(clip), "--no-realtime",
                           "--notify", "none", "--preview", "--duration", "2"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "--preview: no display here" in done.stderr
    assert "session summary" in done.stdout


@pytest.mark.parametrize(("platform", "env", "answering", "expected"), [
    ("linux", {}, set(), False),
    ("linux", {"DISPLAY": ":0"}, {"/tmp/.X11-unix/X0"}, True),
    ("linux", {"DISPLAY": ":0"}, set(), False),  # set, but nothing listens: Qt would abort (exit 134)
    ("linux", {"DISPLAY": ":7.0"}, {"/tmp/.X11-unix/X7"}, True),
    ("linux", {"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": "/run/user/1"}, {"/run/user/1/wayland-0"}, True),
    ("linux", {"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": "/run/user/1"}, set(), False),
    ("linux", {"DISPLAY": "remote.host:0"}, set(), True),
    ("freebsd14", {}, set(), False), ("darwin", {}, set(), True), ("win32", {}, set(), True),
])
def test_display_available(platform: str, env: dict[str, str], answering: set[str], expected: bool) -> None:
    from headwatch.system.display import display_available

    assert display_available(platform, env, answering.__contains__) is expected


@pytest.mark.skipif(sys.platform != "linux", reason="X11 sockets")
def test_a_display_that_does_not_answer_is_no_display(tmp_path: Path) -> None:
    """A real process with DISPLAY pointing at no X server: it aborted with exit 134 and lost the
    session; now one line, and the monitor goes on without the window."""
    import subprocess

    clip = tmp_path / "c.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 5.0, (64, 64))
    for _ in range(5):
        writer.write(np.full((64, 64, 3), 90, np.uint8))
    writer.release()
    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
    env["DISPLAY"] = ":97"  # no X server answers there
    done = subprocess.run([sys.executable, "-m", "headwatch", "monitor", "--source", str(clip), "--no-realtime",
                           "--notify", "none", "--no-history", "--preview"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "--preview: no display here" in done.stderr and "session summary" in done.stdout


full_disk = pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")


@full_disk
def test_a_full_disk_for_the_records_is_one_line_and_the_report_still_comes(tmp_path: Path, portrait: Path) -> None:
    out = tmp_path / "frames.csv"
    out.symlink_to("/dev/full")  # every write: "No space left on device"
    result = invoke("analyze", str(portrait), str(portrait), "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"headwatch: error: {out}: cannot write the record file: No space left on " \
                                    "device; analysing on without it"
    assert result.stdout.count(str(portrait)) == 2  # both photos analysed and reported


@full_disk
def test_a_full_disk_for_the_events_keeps_monitoring_and_the_summary(tmp_path: Path, tilting_clip: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.symlink_to("/dev/full")
    result = invoke("monitor", "--source", str(tilting_clip), "--no-realtime", "--notify", "none", "--bad-for", "3",
                    "--reference", "absolute", "--events", str(events))
    assert result.exit_code == 0
    assert result.stderr.count("cannot write the event log: No space left on device; monitoring goes on") == 1
    assert "posture alerts   1" in result.stdout  # the session went on to the end, summary and all


def test_calibrating_on_a_video_of_tiny_frames_is_a_refusal(write_video: WriteVideo) -> None:
    clip = write_video("tiny.mp4", [np.zeros((2, 2, 3), np.uint8)] * 30, 5.0)
    result = invoke("calibrate", "--source", str(clip), "--profile", "tiny")
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("headwatch: error: calibration refused: a person was found in only 0%")


def test_a_huge_photo_is_scaled_down_before_the_model(tmp_path: Path, grace_hopper: np.ndarray) -> None:
    from headwatch.vision.sources import MAX_IMAGE_SIDE, read_image

    huge = cv2.resize(grace_hopper, (4000, 5000))
    path = tmp_path / "huge.png"
    cv2.imwrite(str(path), huge)
    image = read_image(path).image
    assert max(image.shape[:2]) == MAX_IMAGE_SIDE and image.shape[0] > image.shape[1]
    assert abs(image.shape[1] / image.shape[0] - 0.8) < 0.01  # the shape kept
    result = invoke("analyze", str(path), "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["files"][0]["frames_with_person"] == 1


def test_jpeg_size_read_from_the_header(tmp_path: Path, grace_hopper: np.ndarray) -> None:
    from headwatch.vision.sources import MAX_IMAGE_SIDE, jpeg_size, read_image

    for width, height in ((640, 480), (5000, 3000), (3000, 9000)):
        ok, encoded = cv2.imencode(".jpg", cv2.resize(grace_hopper, (width, height)))
        assert ok and jpeg_size(encoded.tobytes()) == (width, height)
        path = tmp_path / f"{width}x{height}.jpg"
        path.write_bytes(encoded.tobytes())
        image = read_image(path).image  # decoded reduced by the JPEG library when that large
        assert max(image.shape[:2]) == min(MAX_IMAGE_SIDE, max(width, height))
        assert abs(image.shape[1] / image.shape[0] - width / height) < 0.01
    ok, png = cv2.imencode(".png", grace_hopper)
    assert jpeg_size(png.tobytes()) is None and jpeg_size(b"\xff\xd8\xff") is None


def _gif(path: Path, image: np.ndarray, durations_ms: list[int]) -> Path:
    """A GIF whose frames last as long as given: a variable-frame-rate video."""
    from PIL import Image

    frames = []
    for i in range(len(durations_ms)):  # each a little different: Pillow merges equal frames
        marked = image.copy()
        marked[:4, :4 * (i + 1)] = 255
        frames.append(Image.fromarray(np.ascontiguousarray(marked[:, :, ::-1])))
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations_ms, loop=0)
    return path


def test_a_variable_frame_rate_video_is_timed_by_its_timestamps(tmp_path: Path, grace_hopper: np.ndarray) -> None:
    image = cv2.resize(grace_hopper, (128, 160))
    clip = _gif(tmp_path / "vfr.gif", image, [1000, 1000, 100, 100, 100, 30000, 30000, 500])
    records = tmp_path / "r.jsonl"
    result = runner.invoke(app, ["analyze", str(clip), "--json", "--out", str(records), "--fps", "5"])
    assert result.exit_code == 0, result.stderr
    times = [json.loads(line)["t_s"] for line in records.read_text().splitlines()]
    # Frame times 0, 1, 2, 2.1, 2.2, 2.3, 32.3 and 62.3 s, sampled at 5 fps: index / average fps
    # put the 2.2 s frame at 25 s.
    assert times == [0.0, 1.0, 2.0, 2.2, 32.3, 62.3]
    assert json.loads(result.stdout)["files"][0]["duration_s"] == pytest.approx(62.8, abs=0.1)


def test_a_time_lapse_is_as_long_as_it_was_recorded(tmp_path: Path, grace_hopper: np.ndarray) -> None:
    clip = _gif(tmp_path / "lapse.gif", cv2.resize(grace_hopper, (128, 160)), [30000] * 6)  # 3 minutes
    result = runner.invoke(app, ["analyze", str(clip), "--json"])
    assert result.exit_code == 0, result.stderr
    (summary,) = json.loads(result.stdout)["files"]
    assert summary["duration_s"] == pytest.approx(180.0, abs=1.0)  # read as 25 fps: 0.24 s
    assert summary["frames"] == 6


@pytest.mark.parametrize(("source", "message"), [("", "the source is empty: give a camera index"),
                                                 (".", "a folder, not a video")])
def test_an_empty_source_or_a_folder_says_what_it_is(source: str, message: str) -> None:
    result = runner.invoke(app, ["monitor", "--source", source, "--notify", "none", "--no-history"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code != 0
    (line,) = result.stderr.strip().splitlines()
    assert message in line and "pipe or a device" not in line


def test_eval_goes_on_past_a_damaged_file(tmp_path: Path, grace_hopper: np.ndarray) -> None:
    for label in ("good", "bad"):
        (tmp_path / "set" / label).mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "set" / "good" / "a.png"), grace_hopper)
    cv2.imwrite(str(tmp_path / "set" / "bad" / "b.png"), grace_hopper)
    (tmp_path / "set" / "bad" / "c.png").write_bytes(b"\x89PNG\r\n\x1a\n damaged")
    result = runner.invoke(app, ["eval", str(tmp_path / "set"), "--json", "--reference", "absolute"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1  # something was left out...
    (line,) = result.stderr.strip().splitlines()
    assert "c.png: cannot read the image" in line
    document = json.loads(result.stdout)  # ...and the figures cover the rest (it aborted the run)
    assert document["frames"] == 2 and len(document["errors"]) == 1


def test_eval_says_so_for_overlapping_spans_and_a_group_by_deeper_than_the_tree(tmp_path: Path,
                                                                             write_video: WriteVideo) -> None:
    clip = write_video("clip.mp4", [np.full((64, 64, 3), 90, np.uint8)] * 20, 10.0)
    clip.with_suffix(".csv").write_text("start_s,end_s,label\n0,1.5,good\n1,2,bad\n")
    result = runner.invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 1 and "overlap: each moment has one label" in result.stderr
    clip.with_suffix(".csv").write_text("start_s,end_s,label\n0,1,good\n1,2,bad\n")  # touching is fine
    (tmp_path / "set" / "ann" / "good").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "set" / "ann" / "good" / "a.png"), np.full((64, 64, 3), 90, np.uint8))
    deep = runner.invoke(app, ["eval", str(tmp_path / "set"), "--group-by", "3"])
    assert deep.exit_code == 2
    (line,) = deep.stderr.strip().splitlines()
    assert "--group-by 3: the files lie at most 2 folders below" in line


@needs_nobody
def test_what_cannot_be_read_is_one_line_each_and_the_rest_is_analysed(grace_hopper: np.ndarray,
                                                                      nobodys_home: Path) -> None:
    """As a user without permission (root reads everything, so the command runs as nobody): an
    unreadable subfolder was skipped without a word, an unreadable file reported as damaged, and an
    unsearchable folder as holding no videos."""
    root = nobodys_home
    (root / "photos" / "locked").mkdir(parents=True)
    (root / "shut").mkdir()
    for folder in (root / "photos", root / "photos" / "locked", root / "shut"):
        cv2.imwrite(str(folder / "a.png"), cv2.resize(grace_hopper, (256, 320)))
    cv2.imwrite(str(root / "photos" / "secret.png"), grace_hopper)
    (root / "photos" / "secret.png").chmod(0o000)
    (root / "photos" / "locked").chmod(0o000)
    (root / "shut").chmod(0o600)  # no search permission
    (root / "photos").chmod(0o755)
    (root / "photos" / "a.png").chmod(0o644)
    done = as_nobody(root, "analyze", str(root / "photos"), str(root / "shut"), "--jobs", "1")
    assert done.returncode == 1, done.stderr
    errors = done.stderr.strip().splitlines()
    assert f"{root / 'photos' / 'locked'}: cannot read this folder (Permission denied)" in errors[0]
    assert any(f"{root / 'photos' / 'secret.png'}: cannot read the file (permission denied)" in e for e in errors)
    assert any(f"{root / 'shut'}: cannot read this folder" in e for e in errors)
    assert len(errors) == 3 and "Traceback" not in done.stderr
    assert f"{root / 'photos' / 'a.png'}  (image, view front)" in done.stdout  # the rest is analysed


@pytest.mark.parametrize("index", ["2147483648", "99999999999999999999", "²"])
def test_a_camera_index_no_machine_has_is_one_line(index: str) -> None:
    """OpenCV's overloads raised on an index past its int, and int() on "²" (a digit to Python)."""
    result = runner.invoke(app, ["monitor", "--source", index, "--notify", "none", "--no-history"])
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"camera {index} is not available" in lines[0], result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="/dev/full (a device that is always full) is Linux's")
def test_output_on_a_full_disk_is_one_line(portrait: Path) -> None:
    import subprocess

    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "headwatch", "analyze", str(portrait)], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=300)
    assert done.returncode == 1
    assert done.stderr.strip() == "headwatch: error: cannot write the output: No space left on device", done.stderr


@pytest.mark.skipif(shutil.which("unshare") is None, reason="unshare (util-linux) is not installed")
def test_an_annotated_video_cut_by_a_full_disk_replaces_nothing(tmp_path: Path, write_video: WriteVideo,
                                                                 grace_hopper: np.ndarray) -> None:
    """On a small disk of its own (a tmpfs in a user namespace): a first annotated video is written
    whole; filled up, a second try cannot be, and says so in one line, leaving the first as it was
    (OpenCV reports no failed write: the cut file had replaced the good one, "wrote" and exit 0)."""
    import subprocess

    clip = write_video("clip.mp4", [cv2.resize(grace_hopper, (128, 160))] * 20, 5.0)
    disk = tmp_path / "disk"
    disk.mkdir()
    analyze = f"{sys.executable} -m headwatch analyze {clip} --fps 5 --annotate {disk}/ann.mp4"
    script = (f"mount -t tmpfs -o size=512k none {disk} || exit 77\n"
              f"{analyze} >/dev/null 2>{tmp_path}/first.err || exit 3\n"
              f"cp {disk}/ann.mp4 {tmp_path}/good.mp4\n"
              f"head -c $(( $(df -k --output=avail {disk} | tail -1) * 1024 - 4096 )) /dev/zero > {disk}/filler\n"
              f"{analyze} >/dev/null 2>{tmp_path}/second.err; echo $? > {tmp_path}/second.rc\n"
              f"cmp {disk}/ann.mp4 {tmp_path}/good.mp4 && echo same > {tmp_path}/kept\n"
              f"ls -a {disk} > {tmp_path}/left\n")
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=300)
    if done.returncode == 77 or "unshare failed" in done.stderr:
        pytest.skip(f"no user namespace with a tmpfs here: {done.stderr.strip()}")
    assert done.returncode == 0, (done.stderr, (tmp_path / "first.err").read_text())
    assert (tmp_path / "second.rc").read_text().strip() == "1"
    said = (tmp_path / "second.err").read_text().strip().splitlines()
    assert said == [f"headwatch: error: {disk}/ann.mp4: the annotated video could not be written whole (is the disk "
                    "full?); nothing was replaced"], said
    assert (tmp_path / "kept").exists()  # the first video, byte for byte
    assert (tmp_path / "left").read_text().split() == [".", "..", "ann.mp4", "filler"]  # no temporary left


@needs_nobody
def test_a_video_one_may_not_read_is_said_so_by_monitor_too(grace_hopper: np.ndarray, nobodys_home: Path,
                                                             write_video: WriteVideo) -> None:
    """monitor (and calibrate, doctor, eval: they share open_video) called it damaged."""
    clip = write_video("locked.mp4", [cv2.resize(grace_hopper, (128, 160))] * 5, 5.0)
    locked = nobodys_home / "locked.mp4"
    locked.write_bytes(clip.read_bytes())
    locked.chmod(0o600)  # root's: nobody may not read it
    done = as_nobody(nobodys_home, "monitor", "--source", str(locked), "--no-realtime", "--notify", "none",
                     "--no-history")
    assert done.returncode == 1
    assert done.stderr.strip() == f"headwatch: error: {locked}: cannot read the file (permission denied): check its " \
                                  "permissions", done.stderr


@pytest.mark.parametrize(("args", "said"), [(["analyze", "x.mp4", "--fps", "0"], "Invalid value for '--fps'"),
                                            (["analyze", "--bogus"], "No such option: --bogus"),
                                            (["nosuchcommand"], "No such command 'nosuchcommand'")])
def test_a_mistyped_flag_or_value_is_one_line(args: list[str], said: str) -> None:
    """Click's own five-line box, in the user's terminal (the real entry point, not CliRunner)."""
    import subprocess

    done = subprocess.run([sys.executable, "-m", "headwatch", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("headwatch: error: ") and said in lines[0], done.stderr
    assert lines[0].endswith("-h` lists what it takes)")


def test_a_command_group_alone_shows_its_help() -> None:
    import subprocess

    done = subprocess.run([sys.executable, "-m", "headwatch", "config"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Show and change settings" in done.stdout and done.stderr == ""
