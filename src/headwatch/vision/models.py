"""Finding the bundled pose models and checking them before use. No mediapipe here."""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from headwatch.errors import ModelError

MODEL_FILES = {"lite": "pose_landmarker_lite.task", "full": "pose_landmarker_full.task"}
DEFAULT_MODEL = "full"
CHECKSUM_FILE = "SHA256SUMS"
# The two networks every pose landmarker bundle holds (a .task file is a zip archive).
_BUNDLE_MEMBERS = {"pose_detector.tflite", "pose_landmarks_detector.tflite"}


@dataclass(frozen=True, slots=True)
class ModelBundle:
    path: Path
    data: bytes


def models_dir() -> Path:
    """Where the bundled models are: $HEADWATCH_MODELS_DIR, the installed package, or the repo."""
    override = os.environ.get("HEADWATCH_MODELS_DIR")
    if override:
        return Path(override)
    package = Path(__file__).resolve().parents[1]  # src/headwatch (this file is in vision/)
    package_copy = package / "models"  # inside a built wheel
    if package_copy.is_dir():
        return package_copy
    return package.parents[1] / "models"  # source checkout / editable install


def _expected_checksums(directory: Path) -> dict[str, str]:
    sums = directory / CHECKSUM_FILE
    if not sums.is_file():
        return {}
    expected = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2:
            expected[parts[1].lstrip("*")] = parts[0].lower()
    return expected


def resolve_model_path(spec: str) -> Path:
    """'lite', 'full' or a path to a .task file."""
    name = MODEL_FILES.get(spec.lower())
    return models_dir() / name if name else Path(spec).expanduser()


def load_model(spec: str) -> ModelBundle:
    """Read a model, verify its SHA-256 against the SHA256SUMS beside it, check it is a bundle.

    A file listed in SHA256SUMS must match it (that catches a truncated or damaged download);
    a user's own file that is not listed is accepted if it looks like a pose landmarker bundle.
    """
    path = resolve_model_path(spec)
    if not path.is_file():
        hint = "reinstall headwatch" if spec.lower() in MODEL_FILES else "use --model lite|full or a .task file"
        raise ModelError(f"model file not found: {path} ({hint})")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror}") from None
    expected = _expected_checksums(path.parent).get(path.name)
    if expected is not None and hashlib.sha256(data).hexdigest() != expected:
        raise ModelError(f"model file {path} is corrupt: its SHA-256 does not match {CHECKSUM_FILE} (reinstall it)")
    try:
        with zipfile.ZipFile(path) as bundle:
            members = set(bundle.namelist())
    except (zipfile.BadZipFile, OSError):
        raise ModelError(f"{path} is not a pose landmarker model (.task bundle)") from None
    if not members >= _BUNDLE_MEMBERS:
        raise ModelError(f"{path} is not a pose landmarker model: it lacks {sorted(_BUNDLE_MEMBERS - members)}")
    return ModelBundle(path=path, data=data)
