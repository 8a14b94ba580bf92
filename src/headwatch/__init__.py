"""headwatch: a private posture monitor built on MediaPipe's pose landmarker.

The public API (README "Python API"); each name is imported on first use, so `import
headwatch` (and `headwatch --help`) stays free of mediapipe and OpenCV:

- ``Estimator``: ``with Estimator() as e: e.assess(image_bgr)`` -> ``Assessment(person, metrics,
  verdict)``
- ``analyze_video(path, settings=None, reference="auto")`` -> ``VideoAnalysis(records, alerts,
  bad_share, ...)``
- ``load_settings(path=None)`` -> ``Settings``
- ``AlertEngine`` and ``AlertSettings`` for your own loop: ``engine.update(t_s, verdict)``
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ imports on first use
    from headwatch.alerts import AlertEngine, AlertEvent, AlertSettings, EventKind
    from headwatch.analysis import Assessment, Estimator, VideoAnalysis, analyze_video
    from headwatch.config import Settings
    from headwatch.config import settings_from as load_settings
    from headwatch.errors import HeadwatchError
    from headwatch.judge import Reason, State, Verdict
    from headwatch.types import Pose, PostureSample, View

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
    "Estimator": "headwatch.analysis", "Assessment": "headwatch.analysis", "analyze_video": "headwatch.analysis",
    "VideoAnalysis": "headwatch.analysis", "Settings": "headwatch.config", "AlertEngine": "headwatch.alerts",
    "AlertSettings": "headwatch.alerts", "AlertEvent": "headwatch.alerts", "EventKind": "headwatch.alerts",
    "Verdict": "headwatch.judge", "State": "headwatch.judge", "Reason": "headwatch.judge",
    "PostureSample": "headwatch.types", "Pose": "headwatch.types", "View": "headwatch.types",
    "HeadwatchError": "headwatch.errors",
}
__all__ = [
    "AlertEngine", "AlertEvent", "AlertSettings", "Assessment", "Estimator", "EventKind", "HeadwatchError", "Pose",
    "PostureSample", "Reason", "Settings", "State", "Verdict", "VideoAnalysis", "View", "__version__",
    "analyze_video", "load_settings",
]


def __getattr__(name: str) -> object:
    import importlib

    if name == "__version__":
        return _version()
    if name == "load_settings":
        return importlib.import_module("headwatch.config").settings_from
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'headwatch' has no attribute {name!r}")
