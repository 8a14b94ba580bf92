"""Writing the config file: `config init` (every default, commented) and `config set` (one value,
the rest of the file and its comments kept). The file is replaced whole or not at all, through a
symlink, keeping its mode (it may hold a hook's token) and owner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from headwatch.config.settings import (
    KEYS,
    ConfigError,
    default_file_text,
    parse_text_value,
    read_config_file,
    set_value_in_text,
    suggest,
)
from headwatch.errors import HeadwatchError


def init_config_file(path: Path, force: bool = False) -> None:
    """Write every default to ``path``; an existing file only with ``force``."""
    from headwatch.files import replace_text

    if path.exists() and not force:
        raise HeadwatchError(f"{path} exists already; use --force to overwrite it (your changes in it would be lost)")
    try:
        replace_text(path, default_file_text())  # a new file readable by its owner only: hooks may hold tokens
    except OSError as exc:
        raise HeadwatchError(f"{path}: cannot write the config file: {exc.strerror}") from None


def set_config_value(path: Path, key: str, value: str) -> Any:
    """Set ``key`` (section.key) to ``value`` (text, checked as the key's type and range) in the
    file at ``path``; the value set. ConfigError for an unknown key, a wrong value or a broken
    file (which is not built on), HeadwatchError when the file cannot be read or written."""
    from headwatch.files import read_text_as_written, replace_text

    spec = KEYS.get(key)
    if spec is None:
        raise ConfigError(f"unknown key {key}{suggest(key, list(KEYS))}")
    parsed = parse_text_value(spec, value, "config set")
    try:
        text = read_text_as_written(path) if path.is_file() else ""
    except OSError as exc:
        raise HeadwatchError(f"{path}: cannot read the config file: {exc.strerror}") from None
    if text:
        read_config_file(path)  # do not build on a broken file
    new_text = set_value_in_text(text, spec, parsed)
    if "\r\n" in text:  # a file written on Windows keeps its line endings
        new_text = new_text.replace("\r\n", "\n").replace("\n", "\r\n")
    try:
        replace_text(path, new_text, check=read_config_file)  # the result must load before it replaces the file
    except OSError as exc:
        raise HeadwatchError(f"{path}: cannot write the config file: {exc.strerror}") from None
    return parsed
