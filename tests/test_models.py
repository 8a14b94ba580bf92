"""Model files: bundled ones verify, damaged or wrong ones fail with a message naming the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from headwatch.errors import ModelError
from headwatch.vision.models import MODEL_FILES, load_model, models_dir
from headwatch.vision.pose import PoseEstimator


@pytest.mark.parametrize("name", sorted(MODEL_FILES))
def test_bundled_models_load_and_verify(name: str) -> None:
    bundle = load_model(name)
    assert bundle.path == models_dir() / MODEL_FILES[name]
    assert len(bundle.data) > 1_000_000


def test_a_corrupt_bundled_model_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for item in models_dir().iterdir():
        shutil.copy(item, tmp_path / item.name)
    damaged = tmp_path / MODEL_FILES["lite"]
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    monkeypatch.setenv("HEADWATCH_MODELS_DIR", str(tmp_path))
    with pytest.raises(ModelError, match=r"pose_landmarker_lite\.task is corrupt"):
        load_model("lite")


def test_a_missing_model_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"model file not found: .*nothing\.task"):
        load_model(str(tmp_path / "nothing.task"))


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "notes.task"
    fake.write_text("not a model")
    with pytest.raises(ModelError, match=r"notes\.task is not a pose landmarker model"):
        load_model(str(fake))


def test_a_bundle_whose_networks_are_garbage_fails_to_load(tmp_path: Path) -> None:
    import zipfile

    fake = tmp_path / "garbage.task"
    with zipfile.ZipFile(fake, "w") as bundle:
        bundle.writestr("pose_detector.tflite", b"\0" * 64)
        bundle.writestr("pose_landmarks_detector.tflite", b"\0" * 64)
    with pytest.raises(ModelError, match=r"garbage\.task could not be loaded as a pose landmarker"):
        PoseEstimator(str(fake), mode="image")
