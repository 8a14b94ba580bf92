"""headwatch: a private posture monitor built on MediaPipe's pose landmarker."""

__version__ = "0.1.0"
