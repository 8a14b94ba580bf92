"""headwatch: a private posture monitor built on MediaPipe's pose landmarker."""

import os

# OpenCV and FFmpeg print dozens of lines for one damaged video or a missing camera, on top of
# headwatch's own one line; they read these before cv2 is first imported (`-v` would set them
# back). setdefault: a user's own setting wins.
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET

try:  # the installed distribution's own version, so it cannot drift from pyproject.toml
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("headwatch")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
