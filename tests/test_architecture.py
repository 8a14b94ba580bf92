"""The import rules, per module: what ruff's banned-api can only say per file (a file exempted
from it may import every banned module), checked here on each module's own imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "headwatch"
HEAVY = {"mediapipe", "cv2", "typer", "matplotlib", "distributed", "dask"}
# Which heavy library each module may import; every other module may import none of them.
ALLOWED: dict[str, set[str]] = {
    "vision.pose": {"mediapipe", "cv2"},  # cv2 for the colour conversion only
    "vision.sources": {"cv2"},
    "vision.overlay": {"cv2"},
    "vision.camera_motion": {"cv2"},
    "report.plots": {"matplotlib"},
    "app.executors": {"distributed"},
    "cli.__init__": {"typer"},
    "cli.analyze": {"typer"},
    "cli.calibrate": {"typer"},
    "cli.common": {"typer"},
    "cli.config_cmd": {"typer"},
    "cli.control_cmd": {"typer"},
    "cli.eval_cmd": {"typer"},
    "cli.history_cmd": {"typer"},
    "cli.report_cmd": {"typer"},
    "cli.service_cmd": {"typer"},
    "cli.monitor": {"typer"},
}
# Modules that import nothing from headwatch (the bottom of the dependency order).
LEAVES = {"types", "errors"}


def modules() -> list[str]:
    return sorted(".".join(p.relative_to(PACKAGE).with_suffix("").parts) for p in PACKAGE.rglob("*.py"))


def imports_of(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("module", modules())
def test_heavy_libraries_stay_where_they_belong(module: str) -> None:
    used = {name.split(".")[0] for name in imports_of(module)} & HEAVY
    assert used <= ALLOWED.get(module, set()), f"{module} imports {sorted(used)}"


@pytest.mark.parametrize("module", [m for m in modules() if m.startswith("cli.") and m != "cli.__init__"])
def test_no_cli_module_imports_another_command(module: str) -> None:
    """(cli/__init__.py is the app: it registers every command.)"""
    others = {name for name in imports_of(module) if name.startswith("headwatch.cli")}
    assert others <= {"headwatch.cli.common"}, f"{module} imports {sorted(others)}"


@pytest.mark.parametrize("module", sorted(LEAVES))
def test_the_leaves_import_nothing_from_headwatch(module: str) -> None:
    assert not {name for name in imports_of(module) if name.startswith("headwatch")}


def test_the_library_never_imports_the_command_line() -> None:
    for module in modules():
        if not module.startswith("cli") and module != "__main__":
            assert not {n for n in imports_of(module) if n.startswith("headwatch.cli")}, module
