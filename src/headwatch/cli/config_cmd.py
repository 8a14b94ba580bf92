"""`headwatch config ...`: write, show, change and check the settings file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from headwatch.cli.common import EXIT_USAGE, ConfigOption, error, fail, note, one_line_errors

if TYPE_CHECKING:
    from headwatch.config.settings import LoadedSettings

config_app = typer.Typer(help="Show and change settings (TOML). Precedence, lowest to highest: built-in defaults, "
                              "the config file, HEADWATCH_<SECTION>_<KEY> variables, command-line flags.",
                         no_args_is_help=True)


def _loaded(config: Path | None) -> LoadedSettings:
    from headwatch.config.settings import ConfigError, load_layered

    try:
        return load_layered(config)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)


@config_app.command("path")
def config_path(config: ConfigOption = None) -> None:
    """Print the config file in effect, and why that one."""
    from headwatch.config.settings import config_path_in_effect

    path, reason = config_path_in_effect(config, os.environ)
    state = "exists" if path.is_file() else "does not exist yet: `headwatch config init` writes it"
    typer.echo(f"{path}  ({reason}; {state})")


@config_app.command("init")
def config_init(
    config: ConfigOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented config file holding every default."""
    from headwatch.config.edit import init_config_file
    from headwatch.config.settings import config_path_in_effect

    path, _ = config_path_in_effect(config, os.environ)
    with one_line_errors():
        init_config_file(path, force)
    typer.echo(f"wrote {path}")


@config_app.command("show")
def config_show(config: ConfigOption = None) -> None:
    """Print every effective setting and where its value came from."""
    from headwatch.config.settings import KEYS, value_of

    loaded = _loaded(config)
    typer.echo(f"# config file: {loaded.path} ({'in use' if loaded.file_exists else 'not present'})")
    width = max(len(k) for k in KEYS)
    for dotted in KEYS:
        value = value_of(loaded.settings, dotted)
        typer.echo(f"{dotted:<{width}}  {value!r:<12}  ({loaded.origins[dotted]})")


@config_app.command("set", context_settings={"ignore_unknown_options": True})  # a value of -5 is no option
def config_set(
    key: Annotated[str, typer.Argument(help="section.key, e.g. alerts.bad_for_s")],
    value: Annotated[str, typer.Argument(help="the new value")],
    config: ConfigOption = None,
) -> None:
    """Change one setting in the config file, keeping the rest of the file and its comments."""
    from headwatch.config.edit import set_config_value
    from headwatch.config.settings import config_path_in_effect

    path, _ = config_path_in_effect(config, os.environ)
    with one_line_errors():
        parsed = set_config_value(path, key, value)
    typer.echo(f"{key} = {parsed!r} in {path}")


@config_app.command("check")
def config_check(config: ConfigOption = None) -> None:
    """Validate the config file in effect (and the HEADWATCH_ variables): every problem, a line each."""
    from headwatch.config.settings import config_problems

    problems = config_problems(config, os.environ)
    for problem in problems:
        error(problem)
    if problems:
        raise typer.Exit(EXIT_USAGE)
    loaded = _loaded(config)
    for warning in loaded.warnings:
        note(f"headwatch: warning: {warning}")
    where = str(loaded.path) if loaded.file_exists else f"no config file at {loaded.path}; defaults"
    typer.echo(f"ok: {where}")
