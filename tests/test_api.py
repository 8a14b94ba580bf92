"""The public API: the documentation's example runs as written, and importing headwatch stays light."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def guide_example() -> str:
    """The first Python block of the user guide's page on the API."""
    section = (ROOT / "docs" / "guide" / "python.md").read_text(encoding="utf-8")
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def test_the_guide_example_runs(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", guide_example()], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # The demo slouches from about 9 s to 52 s: the engine alerts 10 s into it and sees the recovery.
    fired = [line for line in lines if "bad_posture" in line]
    assert fired and 15.0 <= float(fired[0].split()[0]) <= 25.0 and "'head_forward'" in fired[0]
    assert any("posture_recovered" in line for line in lines)
    # The demo is shorter than the 2 minutes the monitor learns in: analyze learns from all of it.
    assert any(line.startswith("learned reference (front: ") and line.endswith("from the whole recording "
                                                                             "(shorter than learn_min)")
               for line in lines)
    assert re.search(r"alerts: \[\((3\d|4[0-2])\.\d, (4[89]|5\d)\.\d, \('head_forward'", lines[-1]), lines[-1]


def test_importing_headwatch_loads_neither_mediapipe_nor_opencv() -> None:
    code = ("import sys, headwatch\n"
            "settings = headwatch.load_settings()\n"
            "engine = headwatch.AlertEngine(headwatch.AlertSettings())\n"
            "print(sorted(m for m in ('mediapipe', 'cv2') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_py_typed_ships() -> None:
    assert (ROOT / "src" / "headwatch" / "py.typed").is_file()


def test_every_exported_name_resolves() -> None:
    import headwatch

    assert set(headwatch.__all__) == {*headwatch._EXPORTS, "load_settings", "__version__"}
    for name in headwatch.__all__:
        assert getattr(headwatch, name) is not None


def test_the_use_cases_examples_run(tmp_path: Path) -> None:
    """headwatch.analyze_recordings and headwatch.monitor_session: the examples in their docstrings
    run as written (in a process of its own: the monitor shuts it off the network)."""
    code = ("import doctest, headwatch, headwatch.app.api as api\n"
            "result = doctest.testmod(api, extraglobs={'headwatch': headwatch})\n"
            "print(result.attempted, result.failed)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["4", "0"], done.stdout
