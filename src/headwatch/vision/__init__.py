"""Frames in, landmarks and drawings out: the only home of OpenCV and MediaPipe."""
