"""`headwatch config ...`: write, show, change and check the settings file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from headwatch.cli.common import EXIT_FAILED, EXIT_USAGE, ConfigOption, fail, note

if TYPE_CHECKING:
    from headwatch.config.settings import LoadedSettings

config_app = typer.Typer(help="Show and change settings (TOML). Precedence, lowest to highest: built-in defaults, "
                              "the config file, HEADWATCH_<SECTION>_<KEY> variables, command-line flags.",
                         no_args_is_help=True)


def _loaded(config: Path | None) -> LoadedSettings:
    from headwatch.config.settings import ConfigError, load_settings

    try:
        return load_settings(config)
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
    from headwatch.config.settings import config_path_in_effect, default_file_text
    from headwatch.files import replace_text

    path, _ = config_path_in_effect(config, os.environ)
    if path.exists() and not force:
        fail(f"{path} exists already; use --force to overwrite it (your changes in it would be lost)")
    try:
        replace_text(path, default_file_text())  # a new file readable by its owner only: hooks may hold tokens
    except OSError as exc:
        fail(f"{path}: cannot write the config file: {exc.strerror}")
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


@config_app.command("set")
def config_set(
    key: Annotated[str, typer.Argument(help="section.key, e.g. alerts.bad_for_s")],
    value: Annotated[str, typer.Argument(help="the new value")],
    config: ConfigOption = None,
) -> None:
    """Change one setting in the config file, keeping the rest of the file and its comments."""
    from headwatch.config.settings import (
        KEYS,
        ConfigError,
        config_path_in_effect,
        parse_text_value,
        read_config_file,
        set_value_in_text,
        suggest,
    )
    from headwatch.files import read_text_as_written, replace_text

    path, _ = config_path_in_effect(config, os.environ)
    spec = KEYS.get(key)
    if spec is None:
        fail(f"unknown key {key}{suggest(key, list(KEYS))}", EXIT_USAGE)
    try:
        parsed = parse_text_value(spec, value, "config set")
        text = read_text_as_written(path) if path.is_file() else ""
        if text:
            read_config_file(path)  # do not build on a broken file
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    except OSError as exc:
        fail(f"{path}: cannot read the config file: {exc.strerror}")
    new_text = set_value_in_text(text, spec, parsed)
    if "\r\n" in text:  # a file written on Windows keeps its line endings
        new_text = new_text.replace("\r\n", "\n").replace("\n", "\r\n")
    try:
        # Through a symlink, keeping the file's mode (it may hold a hook's token) and owner; the
        # result must load before it replaces the file.
        replace_text(path, new_text, check=read_config_file)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    except OSError as exc:
        fail(f"{path}: cannot write the config file: {exc.strerror}", EXIT_FAILED)
    typer.echo(f"{key} = {parsed!r} in {path}")


@config_app.command("check")
def config_check(config: ConfigOption = None) -> None:
    """Validate the config file in effect (and the HEADWATCH_ variables)."""
    loaded = _loaded(config)
    for warning in loaded.warnings:
        note(f"headwatch: warning: {warning}")
    where = str(loaded.path) if loaded.file_exists else f"no config file at {loaded.path}; defaults"
    typer.echo(f"ok: {where}")
