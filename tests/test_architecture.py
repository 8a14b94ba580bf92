"""The import rules, one per folder: what each layer of the stack may import from headwatch and
which heavy libraries, checked on each module's own imports (ruff's banned-api can only say it
per file)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "headwatch"
HEAVY = {"mediapipe", "cv2", "typer", "rich", "matplotlib", "distributed", "dask", "PySide6", "desktop_notifier"}

# The stack, bottom to top: each folder (or top-level module) may import the ones named here and
# itself, nothing above it. The command line sees only the use cases, the settings and plain data.
MAY_IMPORT: dict[str, set[str]] = {
    "types": set(),
    "errors": set(),
    "files": {"errors"},  # UnsafePath is a one-line error
    "config": {"errors", "files"},
    "timeline": {"types", "errors", "config"},
    "posture": {"types", "errors", "config", "timeline"},
    "vision": {"types", "errors", "files"},
    "storage": {"types", "errors", "files", "config", "timeline", "posture"},
    "report": {"types", "errors", "files", "config", "timeline", "posture", "storage"},
    "evaluation": {"types", "errors", "timeline", "posture"},
    "system": {"types", "errors", "files"},
    "app": {"types", "errors", "files", "config", "timeline", "posture", "vision", "storage", "report",
            "evaluation", "system"},
    "gui": {"app", "config", "errors", "types"},  # a front end, as the command line is
    "cli": {"app", "config", "errors", "types", "gui"},
    "__init__": {"app", "config", "errors", "types", "timeline"},  # the public API, imported on first use
    "__main__": {"cli"},
}
# Which heavy library each module may import; every other module may import none of them.
HEAVY_ALLOWED: dict[str, set[str]] = {
    "vision.pose": {"mediapipe", "cv2"},  # cv2 for the colour conversion only
    "vision.sources": {"cv2"},
    "vision.overlay": {"cv2"},
    "vision.camera_motion": {"cv2"},
    "vision.stillness": {"cv2"},  # the thumbnail
    "report.plots": {"matplotlib"},
    "app.executors": {"distributed"},
    "gui.tray": {"PySide6"},
    "system.notify_center": {"desktop_notifier"},
}
CLI_LIBRARIES = {"typer", "rich"}
# At most a handful of modules beside the folders.
TOP_LEVEL_MODULES = {"__init__", "__main__", "types", "errors", "files"}


def modules() -> list[str]:
    return sorted(".".join(p.relative_to(PACKAGE).with_suffix("").parts) for p in PACKAGE.rglob("*.py"))


def layer_of(module: str) -> str:
    return module.split(".")[0]


def imports_in(source: str, module: str) -> set[str]:
    """The absolute names ``module`` (e.g. "posture.judge") imports; a relative import counts as
    the module it names (``from ..cli import common`` in posture/judge.py counts as headwatch.cli)."""
    # The package a relative import starts from: the module's own folder (a package's __init__ too).
    package = ["headwatch", *module.split(".")][:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                assert node.level <= len(package), f"{module}: an import above the package"
                base = ".".join([*package[:len(package) - node.level + 1], *([node.module] if node.module else [])])
            if node.module:
                found.add(base)
            if base == "headwatch" or not node.module:  # from headwatch import plots; from . import metrics
                found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def imports_of(module: str) -> set[str]:
    return imports_in((PACKAGE / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8"), module)


@pytest.mark.parametrize(("source", "module", "names"), [
    ("from ..cli import common", "posture.judge", {"headwatch.cli"}),
    ("from . import metrics", "posture.judge", {"headwatch.posture.metrics"}),
    ("from .metrics import angle", "posture.judge", {"headwatch.posture.metrics"}),
    ("from .. import cli", "posture.__init__", {"headwatch.cli"}),
    ("from .types import Frame", "__init__", {"headwatch.types"}),
    ("from headwatch import plots", "app.report", {"headwatch", "headwatch.plots"}),
    ("import cv2.data", "vision.pose", {"cv2.data"}),
])
def test_relative_imports_count_as_what_they_import(source: str, module: str, names: set[str]) -> None:
    assert imports_in(source, module) == names


def test_every_module_lives_in_a_known_layer() -> None:
    assert {layer_of(m) for m in modules()} <= set(MAY_IMPORT)
    top = {m for m in modules() if "." not in m and (PACKAGE / f"{m}.py").is_file()}
    assert top <= TOP_LEVEL_MODULES, f"modules at the top level: {sorted(top - TOP_LEVEL_MODULES)}"


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_each_layer_imports_only_what_lies_below_it(layer: str) -> None:
    for module in (m for m in modules() if layer_of(m) == layer):
        used = {name.split(".")[1] for name in imports_of(module) if name.startswith("headwatch.")}
        used -= {layer}
        assert used <= MAY_IMPORT[layer], f"{module} imports {sorted(used - MAY_IMPORT[layer])}"


@pytest.mark.parametrize("module", modules())
def test_heavy_libraries_stay_where_they_belong(module: str) -> None:
    used = {name.split(".")[0] for name in imports_of(module)} & HEAVY
    allowed = HEAVY_ALLOWED.get(module, set()) | (CLI_LIBRARIES if layer_of(module) == "cli" else set())
    assert used <= allowed, f"{module} imports {sorted(used - allowed)}"


@pytest.mark.parametrize("module", [m for m in modules() if m.startswith("cli.") and m != "cli.__init__"])
def test_no_cli_module_imports_another_command(module: str) -> None:
    """(cli/__init__.py is the app: it registers every command.)"""
    others = {name for name in imports_of(module) if name.startswith("headwatch.cli")}
    assert others <= {"headwatch.cli.common"}, f"{module} imports {sorted(others)}"



def test_the_tests_run_this_checkout() -> None:
    """A second checkout tests itself, in this process and in the processes the tests start, not the
    checkout the editable install points at."""
    import subprocess
    import sys

    import headwatch

    assert Path(headwatch.__file__).resolve() == PACKAGE / "__init__.py"
    started = subprocess.run([sys.executable, "-c", "import headwatch; print(headwatch.__file__)"],
                             capture_output=True, text=True, check=True)
    assert Path(started.stdout.strip()).resolve() == PACKAGE / "__init__.py"
