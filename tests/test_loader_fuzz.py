"""The JSON loaders a user's disk feeds (calibrated profiles, learned references, the renders'
truth.json), fuzzed like the config loader: random bytes, mutated valid files and wrong-typed
values give the loader's own one-line error (or, for learned references, a fresh start), never
another exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import mutate_text
from headwatch.errors import HeadwatchError
from headwatch.evaluation.renders import read_renders
from headwatch.posture.calibration import Baseline, Profile
from headwatch.posture.reference import Reference
from headwatch.storage.profiles import load_learned, load_profile, save_learned, save_profile

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

PROFILE = Profile("desk", "profile", {"slouch_deg": Baseline(25.0, 2.0, 40), "ear_level": Baseline(0.3, 0.01, 40)},
                  40, "clip.mp4", "2026-11-24T10:00:00")
TRUTH = {"renders": [{"file": "a.png", "view": "side", "neutral": "a.png", "truth": {"neck_deg": 12.5}}]}
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                       max_size=3), max_leaves=8)


def mutate(text: str, data: st.DataObject) -> str:
    return mutate_text(text, data, "ü€{}[]:,\"")


def replace_a_value(document: Any, data: st.DataObject) -> Any:
    """The document with one value somewhere inside it swapped for a random JSON value."""
    if isinstance(document, dict) and document:
        key = data.draw(st.sampled_from(sorted(document)))
        swap = data.draw(st.booleans())
        return {**document, key: data.draw(JSON_VALUES) if swap else replace_a_value(document[key], data)}
    if isinstance(document, list) and document:
        index = data.draw(st.integers(0, len(document) - 1))
        return [*document[:index], replace_a_value(document[index], data), *document[index + 1:]]
    return data.draw(JSON_VALUES)


def profile_loads_or_one_line(folder: Path) -> None:
    try:
        load_profile(folder, "desk")
    except HeadwatchError as exc:
        assert "\n" not in str(exc) and "desk.json" in str(exc)


def test_the_valid_files_load(tmp_path: Path) -> None:
    save_profile(tmp_path, PROFILE)
    assert load_profile(tmp_path, "desk").baseline["slouch_deg"].median == 25.0
    save_learned(tmp_path, "0", {"profile": Reference("profile", {"slouch_deg": 20.0}, 30)})
    assert load_learned(tmp_path, "0")["profile"].values == {"slouch_deg": 20.0}
    (tmp_path / "truth.json").write_text(json.dumps(TRUTH))
    assert read_renders(tmp_path)[0].truth == {"neck_deg": 12.5}


@FUZZ
@given(st.binary(max_size=300))
def test_profiles_from_random_bytes(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "desk.json").write_bytes(data)
    profile_loads_or_one_line(tmp_path)


@FUZZ
@given(st.data())
def test_profiles_mutated_and_wrong_typed(tmp_path: Path, data: st.DataObject) -> None:
    valid = PROFILE.to_json()
    text = mutate(json.dumps(valid), data) if data.draw(st.booleans()) else json.dumps(replace_a_value(valid, data))
    (tmp_path / "desk.json").write_text(text, encoding="utf-8")
    profile_loads_or_one_line(tmp_path)


@FUZZ
@given(st.data())
def test_learned_references_start_afresh_when_damaged(tmp_path: Path, data: st.DataObject) -> None:
    valid = {"schema": 1, "setups": {"0": {"profile": Reference("profile", {"slouch_deg": 20.0}, 30).to_json()}}}
    text = mutate(json.dumps(valid), data) if data.draw(st.booleans()) else json.dumps(replace_a_value(valid, data))
    (tmp_path / "learned-references.json").write_text(text, encoding="utf-8")
    loaded = load_learned(tmp_path, "0")  # never raises: a damaged file only means learning again
    assert all(isinstance(ref, Reference) for ref in loaded.values())
    save_learned(tmp_path, "0", loaded)  # and it can be written over
    assert set(load_learned(tmp_path, "0")) == set(loaded)


@FUZZ
@given(st.data())
def test_truth_files_load_or_are_one_line(tmp_path: Path, data: st.DataObject) -> None:
    choice = data.draw(st.sampled_from(["bytes", "mutated", "typed"]))
    if choice == "bytes":
        (tmp_path / "truth.json").write_bytes(data.draw(st.binary(max_size=300)))
    else:
        text = mutate(json.dumps(TRUTH), data) if choice == "mutated" else json.dumps(replace_a_value(TRUTH, data))
        (tmp_path / "truth.json").write_text(text, encoding="utf-8")
    try:
        read_renders(tmp_path)
    except HeadwatchError as exc:
        assert "\n" not in str(exc) and "truth.json" in str(exc)
