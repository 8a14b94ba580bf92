"""The root options: -V, -q, -v and shell completion."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from typer.testing import CliRunner

from headwatch.cli import app
from headwatch.cli.common import Verbosity

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    Verbosity.quiet = False  # the root callback sets it for the process; later tests start talkative
    return result


def test_version_comes_from_the_installed_packages() -> None:
    """headwatch's version first (what a script reads), then the measuring libraries' and Python's."""
    import platform

    expected = (f"headwatch {version('headwatch')}\nmediapipe {version('mediapipe')}\n"
                f"opencv-contrib-python {version('opencv-contrib-python')}\nPython {platform.python_version()}\n")
    for flag in ("-V", "--version"):
        result = invoke(flag)
        assert result.exit_code == 0 and result.stdout == expected


def test_quiet_drops_hints_warnings_and_the_status_line(tmp_path: Path) -> None:
    clip = Path(__file__).resolve().parents[1] / "samples" / "grace_hopper_sway.mp4"
    args = ["monitor", "--source", str(clip), "--no-realtime", "--notify", "none"]
    env = {"HEADWATCH_ALERT_BAD_FOR_S": "5"}  # misspelt: a warning
    loud, quiet = invoke(*args, env=env), invoke("-q", *args, env=env)
    assert "warning: environment: HEADWATCH_ALERT_BAD_FOR_S" in loud.stderr and "hint:" in loud.stderr
    assert loud.stdout.splitlines()[0].endswith("[learning 0%]")  # a status line
    assert quiet.stderr == ""
    assert quiet.stdout.startswith("session summary\n")
    assert quiet.exit_code == loud.exit_code == 0


def test_verbose_lets_opencv_speak_again(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(np.random.default_rng(2).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENCV_")}

    def output_lines(*flags: str) -> int:
        done = subprocess.run([sys.executable, "-m", "headwatch", *flags, "analyze", str(damaged)],
                              capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 1
        return len((done.stdout + done.stderr).strip().splitlines())  # OpenCV logs to stdout or stderr

    assert output_lines() == 1
    assert output_lines("-v") > 1


def test_completion_is_offered() -> None:
    result = invoke("--help")
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout


def test_help_and_config_show_import_no_heavy_library() -> None:
    """Start-up is paid on every command: --help and config show need none of the model's stack."""
    probe = ("import sys, runpy; sys.argv = ['headwatch', *sys.argv[1:]]\n"
             "try:\n    runpy.run_module('headwatch', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print(sorted(m for m in ('mediapipe', 'cv2', 'numpy', 'matplotlib', 'distributed') if m in sys.modules))")
    for args in (["--help"], ["config", "show"]):
        done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60)
        assert done.stdout.splitlines()[-1] == "[]", (args, done.stdout[-300:], done.stderr[-300:])


def test_help_texts_say_what_they_mean() -> None:
    """rich reads [brackets] as markup: the cluster extra must survive it; an option shared by the
    commands says nothing of another command's options."""
    runner = CliRunner()
    analyze = runner.invoke(app, ["analyze", "--help"], env={"COLUMNS": "200"})
    assert "headwatch[cluster]" in analyze.stdout
    monitor = runner.invoke(app, ["monitor", "--help"], env={"COLUMNS": "200"})
    assert monitor.exit_code == 0 and "--group-by" not in monitor.stdout


def test_written_files_are_said(tmp_path: Path, write_video: Any, grace_hopper: np.ndarray) -> None:
    import cv2

    clip = write_video("still.mp4", [cv2.resize(grace_hopper, (256, 288))] * 10, 5.0)
    out, page = tmp_path / "r.csv", tmp_path / "r.html"
    result = CliRunner().invoke(app, ["analyze", str(clip), "--out", str(out), "--report", str(page)])
    assert result.exit_code == 0, result.stderr
    written = len(out.read_text().splitlines()) - 1  # the header
    assert written > 0 and f"headwatch: wrote {written} records to {out}" in result.stderr
    assert f"headwatch: wrote {page}" in result.stderr
    quiet = CliRunner().invoke(app, ["-q", "analyze", str(clip), "--out", str(out)])
    assert "wrote" not in quiet.stderr
    Verbosity.quiet = False


def test_every_command_is_summed_up_in_one_line_of_the_root_help() -> None:
    """A command's first paragraph is what the root help lists: a line break inside it shows as a
    sentence broken mid-line there."""
    import typer.main

    from headwatch.cli import app as root

    group = typer.main.get_group(root)
    for name, command in group.commands.items():
        first = (command.help or "").strip().split("\n\n", 1)[0]
        assert first and "\n" not in first, f"{name}: {first!r}"
