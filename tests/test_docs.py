"""The documentation's generated reference pages are what the code declares now."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import load_tool

ROOT = Path(__file__).resolve().parents[1]
reference_pages = load_tool("reference_pages")


@pytest.mark.parametrize("page", ["configuration.md", "commands.md"])
def test_the_committed_reference_page_is_not_stale(page: str) -> None:
    """A setting or an option added, removed or reworded without regenerating fails here."""
    path = ROOT / "docs" / "reference" / page
    expected = reference_pages.pages()[path]
    assert path.read_text(encoding="utf-8") == expected, (
        f"docs/reference/{page} is stale: run python tools/reference_pages.py and commit it")


def test_every_setting_is_on_the_configuration_page_with_its_default_and_variable() -> None:
    from headwatch.config.settings import KEYS

    text = (ROOT / "docs" / "reference" / "configuration.md").read_text(encoding="utf-8")
    sections = text.split("\n## ")
    for key in KEYS.values():
        section = next(s for s in sections if s.startswith(f"`[{key.section}]`"))
        row = next(line for line in section.splitlines() if line.startswith(f"| `{key.name}`<br>"))
        assert f"`{key.env}`" in row and reference_pages._literal(key.default) in row, row
    # the settings the README's hand-kept list had lost (issue 31) are there
    for dotted in ("notify.snooze_min", "output.history", "output.retention_days"):
        assert dotted in KEYS


def test_every_command_and_option_is_on_the_commands_page() -> None:
    import typer.main

    from headwatch.cli import app

    text = (ROOT / "docs" / "reference" / "commands.md").read_text(encoding="utf-8")
    root = typer.main.get_command(app)
    ctx = root.context_class(root, info_name="headwatch")
    for name in root.list_commands(ctx):
        command = root.get_command(ctx, name)
        assert f"`headwatch {name}`" in text, name
        section = text.split(f"`headwatch {name}`", 1)[1]
        for param in command.get_params(ctx):
            for opt in param.opts if param.param_type_name == "option" and param.name != "help" else ():
                assert f"`{opt}`" in section, f"{name} {opt}"


def test_the_check_mode_names_a_stale_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """`reference_pages.py --check` exits 1 naming the page when one differs, 0 when none does."""
    pages = {tmp_path / "configuration.md": "current\n", tmp_path / "commands.md": "current\n"}
    (tmp_path / "configuration.md").write_text("an older text\n", encoding="utf-8")
    (tmp_path / "commands.md").write_text("current\n", encoding="utf-8")
    monkeypatch.setattr(reference_pages, "pages", lambda: pages)
    monkeypatch.setattr(reference_pages, "ROOT", tmp_path)
    assert reference_pages.main(["--check"]) == 1
    assert "configuration.md is stale" in capsys.readouterr().err
    (tmp_path / "configuration.md").write_text("current\n", encoding="utf-8")
    assert reference_pages.main(["--check"]) == 0
