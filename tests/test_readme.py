"""The README's two commands are the ones the project really runs, and the README stays short."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(python3 -m venv[^\n]*)\n```", (ROOT / "README.md").read_text(encoding="utf-8"))


def test_readme_starts_with_the_install_and_the_test_command() -> None:
    install, test = readme_commands()[:2]
    assert "pip install -c constraints.txt -e ." in install
    assert "headwatch analyze samples/" in install and "headwatch monitor" in install
    assert 'pip install -c constraints.txt -e ".[dev]"' in test and "pytest" in test
    assert "mkdocs build --strict" in test  # the site is built by the same command, so CI builds it


def test_the_readme_is_read_in_five_minutes() -> None:
    """Issue 31: the README introduces; the documentation site holds the rest."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 220, len(lines)


def test_the_lock_pins_every_package_exactly_and_one_opencv() -> None:
    lines = [line for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+", line) for line in lines), lines
    names = {line.split("==")[0].lower() for line in lines}
    assert {"mediapipe", "opencv-contrib-python", "numpy", "typer", "pytest", "ruff", "mypy"} <= names
    assert not names & {"opencv-python", "opencv-python-headless", "opencv-contrib-python-headless"}
    assert "headwatch" not in names  # the project itself is installed editable, never pinned


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test_command = readme_commands()[1]
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci_lines


def test_the_quick_start_sample_exists() -> None:
    install = readme_commands()[0]
    sample = re.search(r"headwatch analyze (\S+)", install)
    assert sample is not None and (ROOT / sample.group(1)).is_file()


def module_map() -> dict[str, str]:
    """The architecture page's map of src/headwatch/, entry by entry: each folder or top-level module
    (a line indented by two spaces) with the text of its lines, up to the next entry."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    development = text.split("## The folders by role", 1)[1].split("\n## ", 1)[0]
    tree = development.split("src/headwatch/\n", 1)[1].split("```", 1)[0]
    entries: dict[str, str] = {}
    name = ""
    for line in tree.splitlines():
        if re.match(r"  \S", line):
            name = line.split()[0]
            entries[name] = line.strip()[len(name):] + "\n"
        elif not re.match(r"\S", line) and name:  # deeper: the entry's own lines
            entries[name] += line + "\n"
        else:
            break  # the next top-level folder of the repository (bench/, samples/ ...)
    return entries


def test_the_module_map_names_every_folder_and_module() -> None:
    """The architecture page's module map follows the tree: every folder of the package has an entry that
    names each of its modules (not merely somewhere in the map: another folder's history.py is not
    this one's), and every top-level module has an entry of its own."""
    entries = module_map()
    package = ROOT / "src" / "headwatch"
    for folder in sorted(p for p in package.iterdir() if p.is_dir() and p.name != "__pycache__"):
        assert f"{folder.name}/" in entries, f"{folder.name}/ has no entry"
        entry = entries[f"{folder.name}/"]
        for module in sorted(folder.glob("*.py")):
            if module.name != "__init__.py":
                # Named as itself: "app/controls.py" in gui/'s entry is app's module, not gui's.
                named = re.search(rf"(?<![\w/.]){re.escape(module.name)}", entry)
                assert named, f"{folder.name}/{module.name} is not named in the entry for {folder.name}/"
    for module in sorted(package.glob("*.py")):
        assert module.name in entries, f"{module.name} has no entry"


def test_the_desktop_pictures_are_there_and_show_what_they_say() -> None:
    """The README's screenshots (tools/screenshots.py) exist, and the tray's is an alert: red."""
    import cv2
    import numpy as np

    from headwatch.report.status import DESK_COLOURS

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]*\]\((docs/screenshots/[a-z]+\.png)\)", text)
    assert sorted(Path(p).stem for p in pictures) == ["notification", "preview", "report", "tray"]
    for picture in pictures:
        image = cv2.imread(str(ROOT / picture))
        assert image is not None and image.std() > 10, picture
    tray = cv2.imread(str(ROOT / "docs/screenshots/tray.png")).astype(int)
    r, g, b = DESK_COLOURS["alert"]
    assert (np.abs(tray - np.array([b, g, r])).max(axis=2) <= 12).sum() >= 100


def test_the_readmes_links_into_the_repository_lead_somewhere() -> None:
    """mkdocs build --strict checks the site's links; the README is outside the site."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = {link.split("#", 1)[0] for link in re.findall(r"\]\(([^)]+)\)", text)
               if not link.startswith(("http://", "https://", "#"))}
    assert "docs/reference/configuration.md" in targets
    missing = sorted(target for target in targets if not (ROOT / target).exists())
    assert not missing, missing
