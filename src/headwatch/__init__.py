"""headwatch: a private posture monitor built on MediaPipe's pose landmarker.

The public API (docs/guide/python.md, docs/reference/api.md); each name is imported on first use, so `import
headwatch` (and `headwatch --help`) stays free of mediapipe and OpenCV:

- ``Estimator``: ``with Estimator() as e: e.assess(image_bgr)`` -> ``Assessment(person, metrics,
  verdict)``
- ``analyze_video(path, settings=None, reference="auto")`` -> ``VideoAnalysis(records, alerts,
  bad_share, ...)``
- ``load_settings(path=None)`` -> ``Settings``
- ``AlertEngine`` and ``AlertSettings`` for your own loop: ``engine.update(t_s, verdict)``
- ``analyze_recordings(paths, ...)`` and ``monitor_session(source, ...)``: the commands' own use
  cases (app/), with their outputs as keyword arguments and results instead of printed text
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ imports on first use
    from headwatch.app.analysis import Assessment, Estimator, VideoAnalysis, analyze_video
    from headwatch.app.api import analyze_recordings, monitor_session
    from headwatch.config.settings import Settings
    from headwatch.config.settings import settings_from as load_settings
    from headwatch.errors import HeadwatchError, UsageError
    from headwatch.timeline.alerts import AlertEngine, AlertSettings
    from headwatch.types import AlertEvent, EventKind, Pose, PostureSample, Reason, State, Verdict, View

# OpenCV and FFmpeg print dozens of lines for one damaged video or a missing camera, on top of
# headwatch's own one line; they read these before cv2 is first imported (`-v` would set them
# back). setdefault: a user's own setting wins.
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET


def _version() -> str:
    """The installed distribution's own version, so it cannot drift from pyproject.toml. Looked
    up when asked for: importlib.metadata costs 70 ms of every start-up otherwise."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("headwatch")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


_EXPORTS = {
    "Estimator": "headwatch.app.analysis", "Assessment": "headwatch.app.analysis",
    "analyze_video": "headwatch.app.analysis", "VideoAnalysis": "headwatch.app.analysis",
    "Settings": "headwatch.config.settings", "AlertEngine": "headwatch.timeline.alerts",
    "AlertSettings": "headwatch.timeline.alerts", "AlertEvent": "headwatch.types",
    "EventKind": "headwatch.types", "Verdict": "headwatch.types", "State": "headwatch.types",
    "Reason": "headwatch.types", "PostureSample": "headwatch.types", "Pose": "headwatch.types",
    "View": "headwatch.types", "HeadwatchError": "headwatch.errors",
    "analyze_recordings": "headwatch.app.api", "monitor_session": "headwatch.app.api",
    "UsageError": "headwatch.errors",
}
__all__ = [
    "AlertEngine",
    "AlertEvent",
    "AlertSettings",
    "Assessment",
    "Estimator",
    "EventKind",
    "HeadwatchError",
    "Pose",
    "PostureSample",
    "Reason",
    "Settings",
    "State",
    "UsageError",
    "Verdict",
    "VideoAnalysis",
    "View",
    "__version__",
    "analyze_recordings",
    "analyze_video",
    "load_settings",
    "monitor_session",
]


def __getattr__(name: str) -> object:
    import importlib

    if name == "__version__":
        return _version()
    if name == "load_settings":
        return importlib.import_module("headwatch.config.settings").settings_from
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'headwatch' has no attribute {name!r}")
