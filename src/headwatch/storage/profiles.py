"""Calibrated profiles on disk: one JSON file per name in the user data folder."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from headwatch.errors import MALFORMED_DATA, HeadwatchError
from headwatch.files import make_private_folders, replace_text, user_folder
from headwatch.posture.calibration import Profile
from headwatch.posture.reference import Family, Reference
from headwatch.types import SCHEMA

DEFAULT_PROFILE = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def profiles_dir(configured: str = "") -> Path:
    """The configured folder, or <user data dir>/profiles."""
    if configured:
        return Path(configured).expanduser()
    return user_folder("data") / "profiles"


def profile_path(folder: Path, name: str) -> Path:
    if not _NAME.match(name):
        raise HeadwatchError(f"profile name {name!r}: use letters, digits, '.', '-' or '_' (up to 64)")
    return folder / f"{name}.json"


def save_profile(folder: Path, profile: Profile) -> Path:
    path = profile_path(folder, profile.name)
    try:  # atomic, 0600 in a 0700 folder, never through another user's link
        make_private_folders(folder)
        replace_text(path, json.dumps(profile.to_json(), indent=2) + "\n")
    except OSError as exc:
        raise HeadwatchError(f"{path}: cannot save the profile: {exc.strerror}") from None
    return path


def load_profile(folder: Path, name: str) -> Profile:
    path = profile_path(folder, name)
    if not path.is_file():
        raise HeadwatchError(f"no calibrated profile named {name!r} in {folder} "
                             f"(create it with `headwatch calibrate --profile {name}`)")
    try:
        return Profile.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, *MALFORMED_DATA) as exc:
        raise HeadwatchError(f"{path}: the profile is damaged ({exc}); calibrate again with "
                             f"`headwatch calibrate --profile {name}`") from None


def delete_profile(folder: Path, name: str) -> bool:
    path = profile_path(folder, name)
    if path.is_file():
        path.unlink()
        return True
    return False


LEARNED_FILE = "learned-references.json"


def load_learned(folder: Path, source: str) -> dict[Family, Reference]:
    """The references learned in earlier sessions on this source (camera index, stream, file).

    A damaged file is not an error: learning simply starts again (and the file is rewritten)."""
    try:
        data = json.loads((folder / LEARNED_FILE).read_text(encoding="utf-8"))
        stored = data["setups"].get(source, {})
        return {ref.family: ref for ref in (Reference.from_json(v) for v in stored.values())}
    except (OSError, *MALFORMED_DATA):
        return {}


def save_learned(folder: Path, source: str, references: Mapping[Family, Reference]) -> None:
    """Store this source's learned references (atomically; other sources' entries are kept)."""
    path = folder / LEARNED_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("setups"), dict):
            raise ValueError("no setups")
    except (OSError, *MALFORMED_DATA):
        data = {"schema": SCHEMA, "setups": {}}
    data["setups"][source] = {family: ref.to_json() for family, ref in references.items()}
    try:
        make_private_folders(folder)
        replace_text(path, json.dumps(data, indent=2) + "\n")
    except OSError as exc:
        raise HeadwatchError(f"{path}: cannot store the learned reference: {exc.strerror}") from None
