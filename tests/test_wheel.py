"""`python -m build` makes an sdist and a wheel that carry the pose models, and the wheel works
installed on its own: a fresh virtual environment outside the checkout runs `headwatch --version`,
`headwatch analyze` on the demo clip and `headwatch doctor`.

Offline and quick: the wheel is built without build isolation (hatchling is in the dev extra), and
its dependencies are not downloaded again: the fresh environment sees the test environment's
installed packages through a .pth file (a path line, so the test environment's own .pth files,
among them the editable install's pointer to src/, are not read). headwatch itself, its models
included, comes only from the wheel; the checkout is neither the working folder nor on the path.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL_FILES = ("NOTICE.md", "LICENSE-Apache-2.0.txt", "SHA256SUMS", "pose_landmarker_full.task",
               "pose_landmarker_lite.task")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("build", reason="the build package (dev extra) is not installed")
    pytest.importorskip("hatchling", reason="hatchling (dev extra) is not installed")
    out = tmp_path_factory.mktemp("dist")
    # sdist first, then the wheel built from the unpacked sdist: the sdist must hold all the wheel needs.
    done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def _one(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def test_the_sdist_and_the_wheel_carry_the_models_their_notice_and_checksums(dist: Path) -> None:
    wheel = zipfile.ZipFile(_one(dist, "headwatch-*-py3-none-any.whl"))
    with tarfile.open(_one(dist, "headwatch-*.tar.gz")) as sdist:
        sdist_names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for name in MODEL_FILES:
        assert f"headwatch/models/{name}" in wheel.namelist(), name
        assert f"models/{name}" in sdist_names, name
    sums = dict(reversed(line.split()) for line in wheel.read("headwatch/models/SHA256SUMS").decode().splitlines())
    for model in ("pose_landmarker_full.task", "pose_landmarker_lite.task"):
        assert hashlib.sha256(wheel.read(f"headwatch/models/{model}")).hexdigest() == sums[model].lower()
    assert "headwatch/py.typed" in wheel.namelist()
    licence = [n for n in wheel.namelist() if n.endswith(".dist-info/licenses/LICENSE")]  # headwatch's own
    assert licence and b"Apache License" in wheel.read(licence[0]) and "LICENSE" in sdist_names
    entry_points = wheel.read(next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))).decode()
    assert "headwatch = headwatch.cli:main" in entry_points


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no pip, no packages) with the wheel installed and the test environment's
    packages readable through a path line; returns its folder."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                           "--no-index", "-q", str(_one(dist, "headwatch-*-py3-none-any.whl"))],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    fresh_site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                     check=True, capture_output=True, text=True).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (fresh_site / "_headwatch_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n", encoding="utf-8")
    return venv


def _run(venv: Path, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = venv / ("Scripts/headwatch.exe" if sys.platform == "win32" else "bin/headwatch")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "XDG_RUNTIME_DIR": str(work / "run")}
    (work / "run").mkdir(mode=0o700, exist_ok=True)
    return subprocess.run([str(command), *args], cwd=work, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture()
def work(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "samples" / "demo_slouch.mp4", tmp_path / "demo_slouch.mp4")
    return tmp_path


def test_the_installed_wheel_runs_from_its_own_files(installed: Path, work: Path) -> None:
    code = ("import headwatch, sys\nfrom headwatch.vision.models import models_dir\n"
            "print(headwatch.__file__)\nprint(models_dir())\nprint(any('src' == p.rstrip('/').split('/')[-1] "
            "for p in sys.path))")
    python = installed / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    done = subprocess.run([str(python), "-c", code], cwd=work, env={"PATH": "/usr/bin:/bin", "HOME": str(work)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    package, models, src_on_path = done.stdout.splitlines()
    assert Path(package).is_relative_to(installed) and Path(models).is_relative_to(installed), done.stdout
    assert not Path(package).is_relative_to(ROOT) and src_on_path == "False"


def test_version_names_headwatch_mediapipe_and_opencv(installed: Path, work: Path) -> None:
    from importlib.metadata import version

    done = _run(installed, work, "--version")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"headwatch {version('headwatch')}"
    assert f"mediapipe {version('mediapipe')}" in lines
    assert f"opencv-contrib-python {version('opencv-contrib-python')}" in lines


def test_analyze_on_the_demo_finds_its_one_alert(installed: Path, work: Path) -> None:
    done = _run(installed, work, "analyze", "demo_slouch.mp4", "--json")
    assert done.returncode == 0, done.stderr
    import json

    (summary,) = json.loads(done.stdout)["files"]
    assert summary["frames_with_person"] == summary["frames"] > 0
    (alert,) = summary["alerts"]
    assert 30 <= alert["start_s"] <= 45 and "head_forward" in alert["reasons"]


def test_doctor_finds_the_bundled_model_and_checks_the_framing(installed: Path, work: Path) -> None:
    done = _run(installed, work, "doctor", "--source", "demo_slouch.mp4")
    assert "Traceback" not in done.stderr, done.stderr
    lines = {line[5:20].strip(): line[:4].strip() for line in done.stdout.splitlines() if len(line) > 20}
    assert lines["pose model"] == "ok" and "checksum verified" in done.stdout, done.stdout
    assert lines["source"] == "ok" and lines["framing"] == "ok", done.stdout
    # What this machine lacks (a notification service, Qt) may ask for a fix; nothing else may.
    fixes = {name for name, mark in lines.items() if mark == "FIX"}
    assert fixes <= {"notifications", "tray"} and done.returncode == (1 if fixes else 0), done.stdout
