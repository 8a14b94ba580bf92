"""Many files at once: local worker processes (--jobs) and a real Dask cluster (--cluster) give
the same records, in input order, as measuring in this process; a failed file is one error line;
a task whose worker died is run again elsewhere."""

from __future__ import annotations

import csv
import functools
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import pytest
from typer.testing import CliRunner

from conftest import EVERY_LOOK_ENV, BGRImage, WriteVideo, pad_and_rotate
from headwatch.app.assemble import DEFAULT_LIMITS
from headwatch.app.executors import (
    PHOTOS_PER_BATCH,
    DaskCluster,
    InProcess,
    LocalProcesses,
    MeasureTask,
    batches,
    failed,
    make_executor,
)
from headwatch.cli import app
from headwatch.errors import HeadwatchError

runner = CliRunner()


def task(name: str, kind: str = "video") -> MeasureTask:
    return MeasureTask(Path(name), kind, 5.0, "full", DEFAULT_LIMITS)  # type: ignore[arg-type]


def test_photos_share_batches_in_order_and_each_video_is_alone() -> None:
    tasks = [task("a.jpg", "image"), task("b.jpg", "image"), task("c.mp4"), task("d.jpg", "image"),
             *[task(f"p{i}.jpg", "image") for i in range(PHOTOS_PER_BATCH + 1)]]
    grouped = batches(tasks)
    assert [t for batch in grouped for t in batch] == tasks
    assert [len(b) for b in grouped] == [2, 1, PHOTOS_PER_BATCH, 2]
    assert all(len(b) == 1 for b in grouped if b[0].kind == "video")


def test_one_file_or_one_job_stays_in_this_process() -> None:
    videos = [task(f"{i}.mp4") for i in range(5)]
    assert isinstance(make_executor(None, None, videos[:1]), InProcess)
    assert isinstance(make_executor(1, None, videos), InProcess)
    assert isinstance(make_executor(8, None, [task(f"{i}.jpg", "image") for i in range(3)]), InProcess)  # 1 batch
    assert isinstance(make_executor(8, "tcp://127.0.0.1:9", []), InProcess)  # nothing to run: no cluster
    pool = make_executor(8, None, videos[:3])
    try:
        assert isinstance(pool, LocalProcesses) and pool.jobs == 3  # never more processes than files
    finally:
        pool.close()


def slow_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def sleep_then(value: float) -> float:
    time.sleep(value)
    return value


def exits_on_negative(value: int) -> int:
    if value < 0:
        raise ValueError(f"bad value {value}")
    return value * 10


def test_local_processes_run_side_by_side_and_keep_the_order() -> None:
    pool = LocalProcesses(2)
    try:
        # 2 s each: the second worker starts (importing cv2 and headwatch) while the first sleeps.
        pids = list(pool.map(slow_pid, [2.0, 2.0, 0.1, 0.1], lambda item, exc: -1))
        assert len(set(pids)) == 2 and os.getpid() not in pids
        assert list(pool.map(sleep_then, [0.8, 0.05, 0.3], lambda item, exc: -1.0)) == [0.8, 0.05, 0.3]
        results = list(pool.map(exits_on_negative, [3, -1, 5], lambda item, exc: f"{item}: {exc}"))
        assert results == [30, "-1: bad value -1", 50]
    finally:
        pool.close()


def test_a_failed_batch_is_an_error_line_per_file() -> None:
    results = failed([task("x.jpg", "image"), task("y.jpg", "image")], RuntimeError("worker lost\nmore"))
    assert [r.error for r in results] == ["x.jpg: measuring failed (RuntimeError: worker lost)",
                                          "y.jpg: measuring failed (RuntimeError: worker lost)"]


@pytest.fixture
def clips(write_video: WriteVideo, grace_hopper: BGRImage, tmp_path: Path) -> list[Path]:
    """Three short real videos (sitting level; leaning; level again) and a damaged one among them."""

    level = cv2.resize(pad_and_rotate(grace_hopper, 0.0, 0.25), (192, 216))
    leaning = cv2.resize(pad_and_rotate(grace_hopper, -15.0, 0.25), (192, 216))
    paths = [write_video("a.mp4", [level] * 12, 5.0), write_video("b.mp4", [leaning] * 12, 5.0)]
    broken = tmp_path / "c.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2000))
    paths.append(broken)
    paths.append(write_video("d.mp4", [level] * 6 + [leaning] * 6, 5.0))
    return paths


def analyze(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["analyze", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def note_pid(folder: str, fn: Callable[[Any], Any], item: Any) -> Any:
    """Run ``fn(item)``, leaving this process' id in ``folder``: which processes did the work."""
    (Path(folder) / str(os.getpid())).touch()
    return fn(item)


@pytest.fixture
def worker_pids(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[], set[int]]:
    """The ids of the local worker processes that measured since the last call (the workers import
    this module by name: spawn hands them this process' sys.path)."""
    folder = tmp_path / "pids"
    folder.mkdir()
    real_map = LocalProcesses.map

    def noting_map(self: LocalProcesses, fn: Callable[[Any], Any], items: Any, on_error: Any) -> Any:
        return real_map(self, functools.partial(note_pid, str(folder), fn), items, on_error)

    monkeypatch.setattr(LocalProcesses, "map", noting_map)

    def taken() -> set[int]:
        pids = {int(p.name) for p in folder.iterdir()}
        for p in folder.iterdir():
            p.unlink()
        return pids

    return taken


def test_analyze_with_jobs_matches_one_process(clips: list[Path], tmp_path: Path, write_video: WriteVideo,
                                               grace_hopper: BGRImage, worker_pids: Callable[[], set[int]]) -> None:
    # A first video long enough (60 looks, every one different, so the model never rests) that the
    # second worker is up and takes the next ones while the first measures it.
    swaying = [cv2.resize(pad_and_rotate(grace_hopper, (i % 5) - 2.0, 0.25), (192, 216)) for i in range(60)]
    inputs = [write_video("long.mp4", swaying, 5.0), *clips]
    code1, table1, err1 = analyze(*map(str, inputs), "--jobs", "1", "--out", str(tmp_path / "one.csv"))
    assert worker_pids() == set()  # --jobs 1: this process alone
    code2, table2, err2 = analyze(*map(str, inputs), "--jobs", "2", "--out", str(tmp_path / "two.csv"))
    workers = worker_pids()
    assert len(workers) == 2 and os.getpid() not in workers  # two worker processes both measured
    assert code1 == code2 == 1  # the damaged file
    assert table1 == table2 and err1.replace("one.csv", "OUT") == err2.replace("two.csv", "OUT")
    assert err2.count("headwatch: error:") == 1 and "c.mp4: cannot read the video" in err2
    assert (tmp_path / "one.csv").read_text() == (tmp_path / "two.csv").read_text()
    order = [row[0] for row in list(csv.reader((tmp_path / "two.csv").read_text().splitlines()))[1:]]
    assert list(dict.fromkeys(order)) == [str(inputs[0]), str(clips[0]), str(clips[1]), str(clips[3])]


def test_eval_with_jobs_matches_one_process(tmp_path: Path, grace_hopper: BGRImage,
                                            worker_pids: Callable[[], set[int]]) -> None:
    # Photos go to the workers in batches of PHOTOS_PER_BATCH: a few more than one batch, so there
    # are two, the first long enough that the second worker is up and takes the other.
    per_label = PHOTOS_PER_BATCH // 2 + 4
    for label, degrees in (("good", 0.0), ("poor", -15.0)):
        (tmp_path / "set" / label).mkdir(parents=True)
        for i in range(per_label):
            image = cv2.resize(pad_and_rotate(grace_hopper, degrees + (i % 7) - 3.0, 0.25), (192, 216))
            cv2.imwrite(str(tmp_path / "set" / label / f"{i}.png"), image)
    one = runner.invoke(app, ["eval", str(tmp_path / "set"), "--jobs", "1", "--reference", "absolute"])
    assert worker_pids() == set()  # --jobs 1: this process alone
    two = runner.invoke(app, ["eval", str(tmp_path / "set"), "--jobs", "2", "--reference", "absolute"])
    workers = worker_pids()
    assert len(workers) == 2 and os.getpid() not in workers  # two worker processes both measured
    assert one.exit_code == two.exit_code == 0, (one.stderr, two.stderr)
    assert one.stdout == two.stdout and "balanced accuracy" in one.stdout
    assert f"({2 * per_label} images, 0 videos)" in one.stdout  # every photo of both batches


# -- a real Dask cluster ---------------------------------------------------------------------------


def dask_installed() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


# Only what runs on Dask is skipped without it: the rest of this file tests the local workers.
needs_dask = pytest.mark.skipif(not dask_installed(),
                                reason="dask.distributed is not installed (pip install 'headwatch[cluster]')")


@pytest.fixture(scope="module")
def dask_scheduler() -> Iterator[str]:
    """A LocalCluster of 2 worker processes, one thread each, as `dask worker` would run them."""
    import cloudpickle
    import distributed

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import the tests
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster:
        yield cluster.scheduler_address


def dies_once(marker: str) -> int:
    """Kills its worker process the first time, as a crash or a lost machine would; then runs."""
    if not os.path.exists(marker):
        Path(marker).write_text("died", encoding="utf-8")
        os._exit(1)
    return os.getpid()


@needs_dask
def test_cluster_keeps_the_order_and_reports_failures(dask_scheduler: str) -> None:
    cluster = DaskCluster(dask_scheduler)
    try:
        assert cluster.workers == 2
        pids = list(cluster.map(slow_pid, [0.6, 0.6, 0.1], lambda item, exc: -1))
        assert len(set(pids)) == 2  # both workers took part
        assert list(cluster.map(sleep_then, [0.8, 0.05, 0.3], lambda item, exc: -1.0)) == [0.8, 0.05, 0.3]
        results = list(cluster.map(exits_on_negative, [3, -1, 5], lambda item, exc: f"{item}: {exc}"))
        assert results == [30, "-1: bad value -1", 50]
    finally:
        cluster.close()


@needs_dask
def test_cluster_runs_a_lost_workers_task_again(dask_scheduler: str, tmp_path: Path) -> None:
    marker = tmp_path / "died-once"
    cluster = DaskCluster(dask_scheduler)
    try:
        (pid,) = cluster.map(dies_once, [str(marker)], lambda item, exc: -1)
        assert marker.exists() and pid > 0  # the first worker died; the task ran again on another
    finally:
        cluster.close()


@needs_dask
def test_analyze_on_the_cluster_matches_one_process(dask_scheduler: str, clips: list[Path],
                                                    tmp_path: Path) -> None:
    code1, table1, err1 = analyze(*map(str, clips), "--jobs", "1", "--out", str(tmp_path / "here.csv"))
    code2, table2, err2 = analyze(*map(str, clips), "--cluster", dask_scheduler, "--out",
                                  str(tmp_path / "cluster.csv"))
    assert code1 == code2 == 1
    assert table1 == table2 and err1.replace("here.csv", "OUT") == err2.replace("cluster.csv", "OUT")
    assert (tmp_path / "here.csv").read_text() == (tmp_path / "cluster.csv").read_text()


@needs_dask
def test_no_scheduler_is_one_line(tmp_path: Path, grace_hopper: BGRImage) -> None:
    photo = tmp_path / "p.png"
    cv2.imwrite(str(photo), grace_hopper)
    started = time.monotonic()
    with pytest.raises(HeadwatchError, match="cannot reach the Dask scheduler"):
        DaskCluster("tcp://127.0.0.1:9", timeout_s=2.0)
    assert time.monotonic() - started < 30
    code, _, err = analyze(str(photo), "--cluster", "tcp://127.0.0.1:9")
    assert code == 1 and err.count("\n") == 1 and "cannot reach the Dask scheduler" in err


def test_cluster_without_dask_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    with pytest.raises(HeadwatchError, match=r"pip install 'headwatch\[cluster\]'"):
        DaskCluster("tcp://127.0.0.1:8786")


def test_a_cluster_address_that_is_none_is_a_usage_error_at_once(tmp_path: Path, grace_hopper: BGRImage) -> None:
    """A real process: 'not a url' printed a traceback from the failed Client's finaliser after 20 s."""
    import subprocess

    photo = tmp_path / "p.png"
    cv2.imwrite(str(photo), grace_hopper)
    for command in (["analyze", str(photo)], ["eval", str(tmp_path)]):
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "headwatch", *command, "--cluster", "not a url"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and time.monotonic() - started < 15
        (line,) = done.stderr.strip().splitlines()
        assert "not a scheduler address" in line


@needs_dask
def test_a_refused_port_says_refused_not_timed_out(tmp_path: Path, grace_hopper: BGRImage) -> None:
    import subprocess

    photo = tmp_path / "p.png"
    cv2.imwrite(str(photo), grace_hopper)
    done = subprocess.run([sys.executable, "-m", "headwatch", "analyze", str(photo), "--cluster", "tcp://127.0.0.1:9"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()  # no finaliser's traceback after it either
    assert "connection refused" in line


@pytest.mark.parametrize(("address", "endpoint"), [("tcp://10.0.0.5:8786", ("10.0.0.5", 8786)),
                                                   ("scheduler:9000", ("scheduler", 9000)),
                                                   ("tls://[::1]:8786", ("::1", 8786)), ("myhost", ("myhost", 8786))])
def test_scheduler_addresses(address: str, endpoint: tuple[str, int]) -> None:
    from headwatch.app.executors import scheduler_endpoint

    assert scheduler_endpoint(address) == endpoint
    for bad in ("not a url", "http://x:1", "tcp://host:99999", ""):
        with pytest.raises(HeadwatchError, match="not a scheduler address"):
            scheduler_endpoint(bad)


def test_one_bad_photo_fails_only_itself(tmp_path: Path, grace_hopper: BGRImage) -> None:
    """An image claiming 100000 x 100000 pixels made OpenCV raise on decoding, and every photo of its
    batch of 64 was reported with that error."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("a.png", "c.png"):
        cv2.imwrite(str(folder / name), grace_hopper)
    (folder / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    header = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)  # 10^10 pixels, RGB
    (folder / "d.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                                   + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b""))
    result = runner.invoke(app, ["analyze", str(folder), "--jobs", "1"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2
    assert "b.png: cannot read the image: it is damaged" in errors[0]
    assert "d.png: cannot read the image: it is larger than OpenCV decodes" in errors[1]
    assert "a.png  (image, view front): ok" in result.stdout and "c.png  (image, view front): ok" in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_with_workers_ends_at_once_and_leaves_none(presses: int, write_video: WriteVideo,
                                                         grace_hopper: BGRImage, tmp_path: Path) -> None:
    """One Ctrl-C waited for each worker's video (26 s); two hung the process; three left orphaned
    workers and an atexit traceback."""
    import signal
    import subprocess

    import psutil

    frame = cv2.resize(grace_hopper, (256, 288))
    # 600 s each, a look a second: measuring takes several times the 3 s of CPU after which Ctrl-C
    # comes, so no worker finishes first on a fast machine.
    clips = [write_video(f"long{i}.mp4", [frame] * 3000, 5.0) for i in range(2)]
    process = subprocess.Popen([sys.executable, "-m", "headwatch", "analyze", *map(str, clips), "--jobs", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=EVERY_LOOK_ENV)
    watched = psutil.Process(process.pid)
    deadline = time.monotonic() + 120
    workers: list[psutil.Process] = []
    while time.monotonic() < deadline:  # both workers up and measuring
        workers = [w for w in watched.children(recursive=True) if "spawn" in " ".join(w.cmdline())]
        if len(workers) == 2 and all(w.cpu_times().user > 3.0 for w in workers):
            break
        time.sleep(0.2)
    assert len(workers) == 2
    for _ in range(presses):
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)
    started = time.monotonic()
    _, err = process.communicate(timeout=60)
    assert time.monotonic() - started < 15  # not the rest of a 600 s video
    assert process.returncode == 1 and "interrupted" in err and "Traceback" not in err
    psutil.wait_procs(workers, timeout=10)
    assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]


@needs_dask
def test_a_scheduler_that_dies_mid_run_is_one_line(write_video: WriteVideo, grace_hopper: BGRImage,
                                                   tmp_path: Path) -> None:
    """A real `dask scheduler` and `dask worker`, the scheduler killed while a video is measured:
    Dask logged 33 lines of reconnection tracebacks; now one line says what happened."""
    import shutil
    import socket
    import subprocess

    import psutil

    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if dask is None:
        pytest.skip("the dask command is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    # 800 s, a look a second: its measuring takes many times the 6 s of CPU after which the scheduler
    # is killed (a 300 s clip was measured within about that on a fast run, and finished first).
    clip = write_video("long.mp4", [cv2.resize(grace_hopper, (256, 288))] * 4000, 5.0)
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        worker = subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        analysing = subprocess.Popen([sys.executable, "-m", "headwatch", "analyze", str(clip), "--cluster", address],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=EVERY_LOOK_ENV)
        watched = psutil.Process(worker.pid)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the worker is measuring the video
            if sum(p.cpu_times().user for p in [watched, *watched.children(recursive=True)]) > 6.0:
                break
            time.sleep(0.2)
        scheduler.kill()
        _, err = analysing.communicate(timeout=120)
    finally:
        for process in (scheduler, worker):
            if process is not None:
                process.kill()
                process.wait()
    assert analysing.returncode == 1
    (line,) = err.strip().splitlines()
    assert "the Dask scheduler at" in line and "went away mid-run" in line
