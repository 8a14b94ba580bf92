"""Measuring many files: one task per video (photos in batches), run in this process, in local
worker processes (`--jobs N`) or on a Dask cluster (`--cluster ADDRESS`), behind one executor
interface.

A task only measures (the pose model is the cost); judging, alert replay and every output are
done by the caller, in input order, so the results are the same however the files were run.
A file that fails comes back as a result with an error line, never as an exception. Every video
gets a landmarker of its own, so its tracking starts clean whichever process ran what before.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from headwatch.errors import HeadwatchError
from headwatch.posture.judge import Limits
from headwatch.types import FrameRecord

if TYPE_CHECKING:
    from headwatch.vision.sources import InputKind

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class MeasureTask:
    """One file to measure: how to sample it, with which model, judged on which limits."""

    path: Path
    kind: InputKind
    fps: float
    model: str
    limits: Limits
    still_check_s: float | None = None  # videos: rest the model while still (stillness.StillGate); None: never


@dataclass(frozen=True, slots=True)
class Measured:
    """A file measured, or the one line saying why it could not be (``error``)."""

    task: MeasureTask
    records: list[FrameRecord] = field(default_factory=list)
    duration_s: float = 0.0  # videos: as the container says, else as far as it could be read
    read_s: float = 0.0  # videos: how far it could be read
    problems: tuple[str, ...] = ()  # measured, with a caveat (e.g. a truncated file)
    error: str | None = None


RecordHook = Callable[[FrameRecord], None]
TotalHook = Callable[[int], None]
# Photos go to a worker in batches that share one landmarker (its graph takes ~0.4 s to build,
# a photo ~0.05 s to measure); a video is a batch of its own with a landmarker of its own.
PHOTOS_PER_BATCH = 64


def batches(tasks: Sequence[MeasureTask]) -> list[list[MeasureTask]]:
    """The tasks in order, consecutive photos grouped, each video alone."""
    out: list[list[MeasureTask]] = []
    for task in tasks:
        if task.kind == "image" and out and out[-1][-1].kind == "image" and len(out[-1]) < PHOTOS_PER_BATCH:
            out[-1].append(task)
        else:
            out.append([task])
    return out


def measure_video_task(task: MeasureTask, on_record: RecordHook | None = None,
                       on_total: TotalHook | None = None) -> Measured:
    """Measure one video; a bad file gives a result with ``error``, not an exception."""
    from headwatch.app.analysis import measure_video

    try:
        video = measure_video(task.path, task.fps, task.model, task.limits, on_record=on_record, on_total=on_total,
                              still_check_s=task.still_check_s)
    except HeadwatchError as exc:
        return Measured(task, error=str(exc))
    return Measured(task, video.records, video.duration_s, video.read_s, tuple(video.problems))


def measure_photos(tasks: Sequence[MeasureTask], on_record: RecordHook | None = None) -> list[Measured]:
    """Measure photos with one landmarker; a bad photo gives a result with ``error``."""
    from headwatch.app.pipeline import measure_frames
    from headwatch.vision.pose import PoseEstimator
    from headwatch.vision.sources import read_image

    results = []
    with PoseEstimator(tasks[0].model, mode="image") as detector:
        for task in tasks:
            try:
                records = list(measure_frames([read_image(task.path)], detector, str(task.path), task.limits))
            except HeadwatchError as exc:
                results.append(Measured(task, error=str(exc)))
                continue
            except Exception as exc:  # one photo's surprise is that photo's error, not its whole batch's
                results.append(Measured(task, error=f"{task.path}: measuring failed ({type(exc).__name__}: {exc})"))
                continue
            if on_record is not None:
                for record in records:
                    on_record(record)
            results.append(Measured(task, records))
    return results


def measure_batch(batch: Sequence[MeasureTask], on_record: RecordHook | None = None,
                  on_total: TotalHook | None = None) -> list[Measured]:
    """One batch of ``batches``: a video, or photos sharing a landmarker."""
    if batch[0].kind == "video":
        return [measure_video_task(batch[0], on_record, on_total)]
    return measure_photos(batch, on_record)


class Executor(Protocol):
    """Runs ``fn`` over items and yields the results in the items' order, each as soon as it and
    all before it are done. An item whose run raised (or whose worker died) yields
    ``on_error(item, exception)`` instead: one file's failure never ends the run."""

    def map(self, fn: Callable[[T], R], items: Sequence[T], on_error: Callable[[T, BaseException], R]) -> Iterator[R]:
        ...

    def close(self) -> None: ...

    def stop(self) -> None:
        """Ctrl-C: end the work in flight now, without waiting for it (close() still follows)."""
        ...


class InProcess:
    """Everything in this process, one item after another (one file, or --jobs 1)."""

    def map(self, fn: Callable[[T], R], items: Sequence[T], on_error: Callable[[T, BaseException], R]) -> Iterator[R]:
        for item in items:
            try:
                yield fn(item)
            except Exception as exc:
                yield on_error(item, exc)

    def close(self) -> None:
        pass

    def stop(self) -> None:
        return None  # the interrupt already ended the work of this process


def _worker_start() -> None:
    """A local worker: Ctrl-C is the parent's to handle (it cancels what is queued), and the
    worker is shut off from the network as the parent is. Its video decoder keeps to one thread:
    the workers already fill the cores, and extra decoder threads only contend with them."""
    from headwatch.system.netguard import deny_network

    os.environ.setdefault("OPENCV_FFMPEG_THREADS", "1")
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    deny_network()


class LocalProcesses:
    """Worker processes on this machine. Spawned, not forked: MediaPipe's threads do not survive
    a fork, and spawn is what macOS and Windows do anyway."""

    def __init__(self, jobs: int) -> None:
        import multiprocessing

        self.jobs = jobs
        self._pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_worker_start)

    def map(self, fn: Callable[[T], R], items: Sequence[T], on_error: Callable[[T, BaseException], R]) -> Iterator[R]:
        futures = [self._pool.submit(fn, item) for item in items]
        try:
            for item, future in zip(items, futures, strict=True):
                try:
                    yield future.result()
                except Exception as exc:  # BrokenProcessPool too: a worker died
                    yield on_error(item, exc)
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def stop(self) -> None:
        """The workers end now (each would finish its video first: 26 s for a long one), and none is
        left behind as an orphan. They ignore SIGINT, so this process ends them."""
        for process in list(getattr(self._pool, "_processes", {}).values()):  # the pool has no public handle
            process.terminate()
        self._pool.shutdown(wait=False, cancel_futures=True)


# A task whose worker died is given to another worker by the scheduler (Dask counts such deaths
# against distributed.scheduler.allowed-failures); this retries a task that raised.
CLUSTER_RETRIES = 2


class DaskCluster:
    """The workers of a running Dask scheduler (`dask scheduler`, dask-jobqueue, dask-kubernetes).

    The inputs must be readable by the workers at the same path (a shared file system)."""

    def __init__(self, address: str, timeout_s: float = 10.0) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise HeadwatchError("--cluster needs Dask: pip install 'headwatch[cluster]'") from None
        # Reach the scheduler's port first: a Client that fails to connect spends 20 s closing itself
        # when it is collected and prints a traceback then; and "refused" is not "timed out".
        host, port = scheduler_endpoint(address)
        self.address = address
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
        except OSError as exc:
            reason = "connection refused: no scheduler listens there" if isinstance(
                exc, ConnectionRefusedError) else (exc.strerror or str(exc) or type(exc).__name__)
            raise HeadwatchError(f"--cluster {address}: cannot reach the Dask scheduler ({reason}); start one with "
                                 "`dask scheduler` and workers with `dask worker ADDRESS`") from None
        _quiet_dask_logs()
        try:
            connect: Any = Client  # distributed is untyped
            self._client: Any = connect(address, timeout=f"{timeout_s}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise HeadwatchError(f"--cluster {address}: cannot reach the Dask scheduler ({reason}); start one with "
                                 "`dask scheduler` and workers with `dask worker ADDRESS`") from None

    def map(self, fn: Callable[[T], R], items: Sequence[T], on_error: Callable[[T, BaseException], R]) -> Iterator[R]:
        futures = self._client.map(fn, list(items), pure=False, retries=CLUSTER_RETRIES)
        try:
            for item, future in zip(items, futures, strict=True):
                try:
                    yield future.result()
                except Exception as exc:  # KilledWorker: the task's workers kept dying
                    if "scheduler-connection-lost" in str(exc) or "CommClosed" in type(exc).__name__:
                        exc = HeadwatchError(f"the Dask scheduler at {self.address} went away mid-run; start it "
                                             "again (`dask scheduler`) and analyse what is left")
                    yield on_error(item, exc)
        finally:
            self._client.cancel([f for f in futures if not f.done()])

    @property
    def workers(self) -> int:
        info: dict[str, Any] = self._client.scheduler_info()
        return len(info.get("workers", {}))

    def close(self) -> None:
        self._client.close()

    def stop(self) -> None:
        return None  # map's own finally cancels the cluster's futures


def _quiet_dask_logs() -> None:
    """Dask logs a client's every reconnection attempt, with tracebacks (33 lines when a scheduler
    went away): headwatch says what happened in one line instead. `headwatch -v` keeps them."""
    if os.environ.get("HEADWATCH_NATIVE_DIAGNOSTICS"):
        return
    for name in ("distributed", "distributed.client", "distributed.comm", "distributed.core", "tornado"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


SCHEDULER_PORT = 8786  # Dask's default
_ENDPOINT = re.compile(r"^(?:(?:tcp|tls)://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?/?$")


def scheduler_endpoint(address: str) -> tuple[str, int]:
    """(host, port) of a scheduler address: ``tcp://host:port``, ``tls://host:port`` or
    ``host[:port]``; HeadwatchError for anything else."""
    match = _ENDPOINT.match(address.strip())
    port = int(match.group(2) or SCHEDULER_PORT) if match else 0
    if match is None or not 0 < port < 65536:
        raise HeadwatchError(f"--cluster {address!r}: not a scheduler address; give tcp://HOST:PORT (e.g. "
                             f"tcp://10.0.0.5:{SCHEDULER_PORT})")
    return match.group(1).strip("[]"), port


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def make_executor(jobs: int | None, cluster: str | None, tasks: Sequence[MeasureTask]) -> Executor:
    """For ``tasks``: a Dask cluster if given, else as many local processes as asked (default: the
    cores), but never more than there are batches to run, and this process alone for one (a worker
    costs a second of start-up). Nothing to run needs no cluster either."""
    if not tasks:
        return InProcess()
    if cluster:
        return DaskCluster(cluster)
    wanted = min(jobs or default_jobs(), len(batches(tasks)))
    return LocalProcesses(wanted) if wanted > 1 else InProcess()


def failed(batch: Sequence[MeasureTask], exc: BaseException) -> list[Measured]:
    """The files of a batch whose measuring failed other than by a bad file: a crash, a lost worker."""
    reason = str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, HeadwatchError):  # says what happened and what to do already
        return [Measured(task, error=f"{task.path}: {reason}") for task in batch]
    what = f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
    return [Measured(task, error=f"{task.path}: measuring failed ({what})") for task in batch]


def measure_all(executor: Executor, tasks: Sequence[MeasureTask],
                measure: Callable[[Sequence[MeasureTask]], list[Measured]] = measure_batch) -> Iterator[Measured]:
    """Every task measured, in order, in batches (``batches``) on the executor."""
    for results in executor.map(measure, batches(tasks), failed):
        yield from results
