"""Settings: each step of the precedence, every config command, every validation error, fuzzing."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import mutate_text, wait_for
from headwatch.cli import app
from headwatch.config.settings import (
    KEYS,
    Alerts,
    ConfigError,
    Notify,
    Settings,
    Thresholds,
    default_file_text,
    load_layered,
    read_config_file,
)
from headwatch.timeline.alerts import AlertSettings
from headwatch.timeline.sampling import SamplingPolicy

runner = CliRunner()


def cli(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, list(args), env=env)
    # CliRunner keeps an escaped exception in result.exception and prints no traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "headwatch.toml"
    path.write_text("# my settings\n[alerts]\nbad_for_s = 20.0  # twenty\n\n[capture]\nfps = 4.0\n")
    return path


def test_precedence_default_file_env_flag(config_file: Path) -> None:
    assert load_layered(config_file, env={}).settings.alerts.good_for_s == Settings().alerts.good_for_s
    loaded = load_layered(config_file, env={})
    assert loaded.settings.alerts.bad_for_s == 20.0
    assert loaded.origins["alerts.bad_for_s"] == str(config_file)
    assert loaded.origins["alerts.good_for_s"] == "default"
    env = {"HEADWATCH_ALERTS_BAD_FOR_S": "40"}
    loaded = load_layered(config_file, env=env)
    assert loaded.settings.alerts.bad_for_s == 40.0
    assert loaded.origins["alerts.bad_for_s"] == "environment HEADWATCH_ALERTS_BAD_FOR_S"
    loaded = load_layered(config_file, env=env, overrides={"alerts.bad_for_s": 60.0, "capture.fps": None})
    assert loaded.settings.alerts.bad_for_s == 60.0
    assert loaded.origins["alerts.bad_for_s"] == "command line"
    assert loaded.settings.capture.fps == 4.0  # an unset flag does not override


def test_config_file_location(tmp_path: Path, config_file: Path, isolated_settings: Path) -> None:
    assert load_layered(None, env={}).path == isolated_settings / "config" / "headwatch" / "config.toml"
    assert load_layered(None, env={"HEADWATCH_CONFIG": str(config_file)}).path == config_file
    other = tmp_path / "other.toml"
    other.write_text("")
    assert load_layered(other, env={"HEADWATCH_CONFIG": str(config_file)}).path == other


def test_precedence_through_the_command_line(config_file: Path, tmp_path: Path) -> None:
    result = cli("config", "show", "--config", str(config_file), env={"HEADWATCH_CAPTURE_FPS": "3"})
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if not line.startswith("#")}
    assert "20.0" in lines["alerts.bad_for_s"] and str(config_file) in lines["alerts.bad_for_s"]
    assert "3.0" in lines["capture.fps"] and "environment HEADWATCH_CAPTURE_FPS" in lines["capture.fps"]
    assert "(default)" in lines["alerts.good_for_s"]
    assert set(lines) == set(KEYS)


def test_init_writes_every_default_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    assert cli("config", "init", "--config", str(path)).exit_code == 0
    text = path.read_text()
    assert all(f"# {key.name} = " in text for key in KEYS.values())
    assert read_config_file(path) == {}  # every default is commented out: nothing overrides yet
    path.write_text(text + "\n# mine\n")
    result = cli("config", "init", "--config", str(path))
    assert result.exit_code == 1 and "--force" in result.stderr
    assert path.read_text().endswith("# mine\n")
    assert cli("config", "init", "--config", str(path), "--force").exit_code == 0
    assert path.read_text() == default_file_text()


def test_set_changes_one_key_and_keeps_the_rest(config_file: Path) -> None:
    result = cli("config", "set", "alerts.bad_for_s", "45", "--config", str(config_file))
    assert result.exit_code == 0, result.stderr
    assert config_file.read_text() == "# my settings\n[alerts]\nbad_for_s = 45.0  # twenty\n\n[capture]\nfps = 4.0\n"
    assert cli("config", "set", "notify.mode", "terminal", "--config", str(config_file)).exit_code == 0
    assert config_file.read_text().endswith('[notify]\nmode = "terminal"\n')
    assert cli("config", "set", "alerts.good_for_s", "9", "--config", str(config_file)).exit_code == 0
    assert "bad_for_s = 45.0  # twenty\ngood_for_s = 9.0\n" in config_file.read_text()
    assert load_layered(config_file, env={}).settings.alerts.good_for_s == 9.0


def test_set_uncomments_a_default_written_by_init(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    cli("config", "init", "--config", str(path))
    assert cli("config", "set", "capture.model", "lite", "--config", str(path)).exit_code == 0
    assert '\nmodel = "lite"\n' in path.read_text()
    assert path.read_text().count("model = ") == 1
    assert len(path.read_text().splitlines()) == len(default_file_text().splitlines())


@pytest.mark.parametrize(("key", "value", "message"), [
    ("alerts.bad_fr", "3", "unknown key alerts.bad_fr (did you mean alerts.bad_for_s?)"),
    ("alerts.bad_share", "3", "alerts.bad_share: expected a number from 0.5 to 1, found 3"),
    ("capture.fps", "fast", "capture.fps: expected a number from 0.2 to 60, found 'fast'"),
    ("notify.mode", "loud", "notify.mode: expected one of desktop, terminal, none, found 'loud'"),
    ("capture.rest_when_still", "maybe", "capture.rest_when_still: expected true or false, found 'maybe'"),
])
def test_set_refuses_bad_keys_and_values(config_file: Path, key: str, value: str, message: str) -> None:
    before = config_file.read_text()
    result = cli("config", "set", key, value, "--config", str(config_file))
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert config_file.read_text() == before


def test_path_and_check(config_file: Path, tmp_path: Path) -> None:
    result = cli("config", "path", "--config", str(config_file))
    assert result.stdout.startswith(f"{config_file}  (--config; exists)")
    assert cli("config", "check", "--config", str(config_file)).stdout.strip() == f"ok: {config_file}"
    missing = tmp_path / "missing.toml"
    result = cli("config", "check", "--config", str(missing))
    assert result.exit_code == 2 and "config file not found" in result.stderr


@pytest.mark.parametrize(("text", "message"), [
    ("[alerts\nbad_for_s = 3\n", "invalid TOML: Expected ']' at the end of a table declaration (at line 1, column 8)"),
    ("[alerts]\nbad_for_s = 'x'\n", "alerts.bad_for_s: expected a number from 1 to 3600, found a string 'x'"),
    ("[alerts]\nbad_for_s = true\n", "alerts.bad_for_s: expected a number from 1 to 3600, found a boolean True"),
    ("[alerts]\nbad_for_s = 0.5\n", "alerts.bad_for_s: expected a number from 1 to 3600, found 0.5"),
    ("[alerts]\nbad_for = 3\n", "unknown key alerts.bad_for (did you mean alerts.bad_for_s?)"),
    ("[alert]\nbad_for_s = 3\n", "unknown section [alert] (did you mean alerts?)"),
    ("alerts = 3\n", "alerts: expected a [alerts] table, found a whole number 3"),
    ("[capture]\nsource = 0\n", "capture.source: expected a string, found a whole number 0"),
])
def test_every_validation_error_is_one_line_with_exit_2(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    for command in (["config", "check"], ["config", "show"], ["analyze", "whatever.mp4"], ["monitor"]):
        result = cli(*command, "--config", str(path))
        assert result.exit_code == 2, command
        assert result.stderr.strip() == f"headwatch: error: {path}: {message}", command


def test_environment_errors(tmp_path: Path) -> None:
    result = cli("config", "check", env={"HEADWATCH_ALERTS_BAD_FOR_S": "soon"})
    assert result.exit_code == 2
    assert result.stderr.strip() == ("headwatch: error: environment HEADWATCH_ALERTS_BAD_FOR_S: alerts.bad_for_s: "
                                     "expected a number from 1 to 3600, found 'soon'")
    result = cli("config", "check", env={"HEADWATCH_ALERTS_BAD_FOR": "5"})
    assert result.exit_code == 2 and "did you mean HEADWATCH_ALERTS_BAD_FOR_S?" in result.stderr


def test_flags_go_through_validation_too(config_file: Path) -> None:
    with pytest.raises(ConfigError, match=r"command line: capture\.fps"):
        load_layered(config_file, env={}, overrides={"capture.fps": 1000.0})


VALID = default_file_text().replace("# bad_for_s = 30.0", "bad_for_s = 12.0").replace("# mode = ", "mode = ")


def _loads_or_config_error(path: Path) -> None:
    try:
        read_config_file(path)
        load_layered(path, env={})
    except ConfigError as exc:
        assert str(exc).startswith(str(path))
        assert "\n" not in str(exc).strip() or "invalid TOML" in str(exc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_bytes(data)
    _loads_or_config_error(path)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzz_mutated_valid_files(tmp_path: Path, data: st.DataObject) -> None:
    text = mutate_text(VALID, data, "ü€[]=\"'#")
    path = tmp_path / "mutated.toml"
    path.write_text(text, encoding="utf-8")
    _loads_or_config_error(path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(KEYS)), st.one_of(st.integers(), st.floats(allow_nan=True), st.booleans(),
                                                st.text(max_size=10), st.lists(st.integers(), max_size=3)))
def test_fuzz_values_of_the_wrong_kind(tmp_path: Path, dotted: str, value: object) -> None:
    import json

    section, name = dotted.split(".")
    literal = json.dumps(value) if not isinstance(value, float) or value == value else "nan"
    if isinstance(value, bool):
        literal = "true" if value else "false"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        literal = "inf" if value > 0 else "-inf"
    path = tmp_path / "values.toml"
    path.write_text(f"[{section}]\n{name} = {literal}\n", encoding="utf-8")
    _loads_or_config_error(path)


@pytest.mark.parametrize(("text", "message"), [
    ("[alerts]\nbad_for_s = " + "9" * 400 + "\n", "alerts.bad_for_s: expected a number from 1 to 3600, found a number "
                                                  "too large"),
    ("x = " + "[" * 5000 + "]" * 5000 + "\n", "invalid TOML: nested too deeply"),
])
def test_monstrous_values_are_one_line_and_exit_2(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "odd.toml"
    path.write_text(text)
    result = cli("config", "check", "--config", str(path))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"headwatch: error: {path}: {message}"


def test_a_misspelt_variable_is_warned_about_with_a_suggestion() -> None:
    result = cli("config", "check", env={"HEADWATCH_ALERT_BAD_FOR_S": "5"})
    assert result.exit_code == 0
    assert result.stderr.strip() == ("headwatch: warning: environment: HEADWATCH_ALERT_BAD_FOR_S is not a headwatch "
                                     "setting and is ignored (did you mean HEADWATCH_ALERTS_BAD_FOR_S?)")
    quiet = cli("config", "check", env={"HEADWATCH_MODELS_DIR": "/tmp", "HEADWATCH_EVENT": "x"})
    assert quiet.stderr == ""


@pytest.mark.parametrize(("before", "after"), [
    ("[alerts]  # my note\nbad_for_s = 20.0\n", "[alerts]  # my note\nbad_for_s = 45.0\n"),
    ("alerts.bad_for_s = 20.0  # dotted\n", "alerts.bad_for_s = 45.0  # dotted\n"),
    ("# top\nalerts = { bad_for_s = 20.0 }\n", "# top\nalerts = { bad_for_s = 45.0 }\n"),
])
def test_set_edits_valid_toml_as_written(tmp_path: Path, before: str, after: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(before)
    result = cli("config", "set", "alerts.bad_for_s", "45", "--config", str(path))
    assert result.exit_code == 0, result.stderr
    assert path.read_text() == after
    assert load_layered(path, env={}).settings.alerts.bad_for_s == 45.0


def test_configured_values_reach_the_runtime(tmp_path: Path) -> None:
    """Every alert, reminder and sampling setting, configured in a file to a value that is not its
    default, is the value the alert engine and the sampling policy run with (one dropped on the
    way would leave the runtime on its default, which is the declaration's)."""
    from dataclasses import fields

    from headwatch.app.assemble import alert_settings, sampling_policy

    def runtime_key(name: str, sections: tuple[str, ...]) -> str:
        (dotted,) = [f"{section}.{name}" for section in sections if f"{section}.{name}" in KEYS]
        return dotted

    # Each runtime field and the key it comes from; max_gap_s is derived from the sampling rate.
    wanted = {("alerts", f.name): runtime_key(f.name, ("alerts", "reminders"))
              for f in fields(AlertSettings) if f.name != "max_gap_s"}
    wanted |= {("sampling", f.name): runtime_key(f.name, ("capture",)) for f in fields(SamplingPolicy)
               if f.name != "busy_share"}  # busy_share is the policy's own, not a setting
    configured: dict[str, float] = {}
    for dotted in wanted.values():
        key = KEYS[dotted]
        assert key.high is not None and key.low is not None
        # Halfway from the default to a bound: in range, and not the default.
        configured[dotted] = (key.default + key.high) / 2 if key.high > key.default else (key.default + key.low) / 2
    sections: dict[str, list[str]] = {}
    for dotted, value in configured.items():
        section, name = dotted.split(".")
        sections.setdefault(section, []).append(f"{name} = {value!r}")
    path = tmp_path / "headwatch.toml"
    path.write_text("".join(f"[{section}]\n" + "\n".join(lines) + "\n" for section, lines in sections.items()))
    settings = load_layered(path, env={}).settings
    runtime = {"alerts": alert_settings(settings), "sampling": sampling_policy(settings)}
    for (where, name), dotted in wanted.items():
        assert getattr(runtime[where], name) == configured[dotted] != KEYS[dotted].default, dotted


def test_set_keeps_the_files_mode_and_writes_through_a_symlink(tmp_path: Path) -> None:
    import stat

    real = tmp_path / "dotfiles" / "headwatch.toml"
    real.parent.mkdir()
    real.write_text('[notify]\non_alert = "curl -H \'token: s3cret\' localhost"\n')
    real.chmod(0o600)
    link = tmp_path / "headwatch.toml"
    link.symlink_to(real)
    assert cli("config", "set", "alerts.bad_for_s", "45", "--config", str(link)).exit_code == 0
    assert link.is_symlink() and link.resolve() == real  # the link stays a link
    assert stat.S_IMODE(real.stat().st_mode) == 0o600  # the token stays private
    assert "bad_for_s = 45.0" in real.read_text() and "s3cret" in real.read_text()
    assert [p.name for p in real.parent.iterdir()] == ["headwatch.toml"]  # no temporary left behind


def test_set_keeps_windows_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "headwatch.toml"
    path.write_bytes(b"# mine\r\n[alerts]\r\nbad_for_s = 20.0\r\n")
    assert cli("config", "set", "alerts.good_for_s", "9", "--config", str(path)).exit_code == 0
    data = path.read_bytes()
    assert b"good_for_s = 9.0\r\n" in data and b"bad_for_s = 20.0\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_a_new_config_file_is_private(tmp_path: Path) -> None:
    import stat

    for args in (["config", "init"], ["config", "set", "alerts.bad_for_s", "45"]):
        path = tmp_path / f"{args[1]}.toml"
        assert cli(*args, "--config", str(path)).exit_code == 0
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("kind", ["device", "fifo", "huge"])
def test_a_config_that_is_no_file_is_one_line_at_once(kind: str, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    if kind == "device":
        path = Path("/dev/zero")
        if not path.exists():
            pytest.skip("no /dev/zero here")
    elif kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("FIFOs are POSIX")
        path = tmp_path / "config.fifo"
        os.mkfifo(path)
    else:
        path = tmp_path / "huge.toml"
        path.write_text("# padding\n" * 200_000)
    # A real process: /dev/zero was read until memory ran out, a FIFO blocked forever.
    done = subprocess.run([sys.executable, "-m", "headwatch", "config", "check", "--config", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert str(path) in line and ("not a regular file" in line or "larger than" in line)


def test_a_number_of_five_thousand_digits_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_text("[alerts]\nbad_for_s = " + "9" * 5000 + "\n")
    result = cli("config", "check", "--config", str(path))
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "a number too long" in line


@pytest.mark.parametrize(("build", "message"), [
    (lambda: Alerts(bad_for_s=-1), "Alerts: alerts.bad_for_s: expected a number from 1 to 3600, found -1"),
    (lambda: AlertSettings(bad_for_s=-1), "AlertSettings: alerts.bad_for_s: expected a number from 1 to 3600"),
    (lambda: AlertSettings(still_tolerance=2.0), "AlertSettings: reminders.still_tolerance: expected a number"),
    (lambda: AlertSettings(max_gap_s=0.0), "AlertSettings: max_gap_s: expected a number above 0"),
    (lambda: SamplingPolicy(fps=0.0), "SamplingPolicy: capture.fps: expected a number from 0.2 to 60, found 0"),
    (lambda: Thresholds(slouch_deg=math.nan), "Thresholds: thresholds.slouch_deg: expected a number"),
    (lambda: Notify(mode="loud"), "Notify: notify.mode: expected one of desktop, terminal, none, found 'loud'"),
])
def test_settings_built_in_code_are_checked_as_a_file_is(build: Any, message: str) -> None:
    """Through the Python API a value out of range is refused when the object is built, with the
    message a config file would get (a ValueError too, for code that builds settings itself)."""
    with pytest.raises(ConfigError, match=re.escape(message)):
        build()
    with pytest.raises(ValueError):
        build()


def test_config_check_lists_every_problem_not_only_the_first(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[alerts]\nbad_for_s = -5\ngood_for = 3\n\n[capture]\nfps = 'fast'\n\n[colours]\nx = 1\n")
    result = CliRunner().invoke(app, ["config", "check", "--config", str(config)],
                                env={"HEADWATCH_NOTIFY_MODE": "loud"})
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 5 and all(line.startswith("headwatch: error: ") for line in lines)
    said = "\n".join(lines)
    for part in ("alerts.bad_for_s: expected a number from 1 to 3600, found -5", "unknown key alerts.good_for",
                 "capture.fps: expected a number from 0.2 to 60", "unknown section [colours]",
                 "environment HEADWATCH_NOTIFY_MODE: notify.mode"):
        assert part in said, part


def test_a_switch_is_true_or_false_in_the_file_the_environment_and_config_set(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[capture]\nrest_when_still = false\n", encoding="utf-8")
    def rests(env: dict[str, str]) -> bool:
        return load_layered(path, env=env).settings.capture.rest_when_still

    assert rests({}) is False
    assert rests({"HEADWATCH_CAPTURE_REST_WHEN_STILL": "yes"}) is True
    assert rests({"HEADWATCH_CAPTURE_REST_WHEN_STILL": "Off"}) is False
    path.write_text('[capture]\nrest_when_still = "false"\n', encoding="utf-8")  # a string is not a switch
    with pytest.raises(ConfigError, match="rest_when_still: expected true or false, found a string 'false'"):
        load_layered(path, env={})
    path.write_text("", encoding="utf-8")
    assert cli("config", "set", "capture.rest_when_still", "false", "--config", str(path)).exit_code == 0
    assert path.read_text().endswith("[capture]\nrest_when_still = false\n")
    assert rests({}) is False


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="file owners and modes are POSIX's")
@pytest.mark.parametrize("how", ["world-writable file", "folder writable by all", "another user's file"])
def test_a_config_another_user_could_have_written_is_not_used(tmp_path: Path, how: str) -> None:
    """A config names a command to run (notify.on_alert) and where to write: one that another
    user could have written is refused with one line, and nothing runs."""
    folder = tmp_path / "shared"
    folder.mkdir()
    config = folder / "headwatch.toml"
    ran = tmp_path / "ran"
    config.write_text(f'[notify]\non_alert = "touch {ran}"\n[alerts]\nbad_for_s = 3\n')
    if how == "world-writable file":
        config.chmod(0o666)
    elif how == "folder writable by all":
        folder.chmod(0o777)
    else:
        if os.getuid() != 0:
            pytest.skip("only root can give a file to another user")
        os.chown(config, 65534, 65534)  # nobody
    demo = Path(__file__).parent.parent / "samples" / "demo_slouch.mp4"
    result = runner.invoke(app, ["monitor", "--source", str(demo), "--no-realtime", "--no-history", "--notify", "none",
                                 "--config", str(config)])
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "another user could have written it" in lines[0], result.output
    assert result.exception.code == 2 and not ran.exists()  # type: ignore[union-attr]
    check = runner.invoke(app, ["config", "check", "--config", str(config)])
    assert check.exit_code != 0 and "another user could have written it" in check.output
    folder.chmod(0o755)
    config.chmod(0o644)
    if how == "another user's file":
        os.chown(config, os.getuid(), os.getgid())
    assert runner.invoke(app, ["config", "show", "--config", str(config)]).exit_code == 0  # as one's own, fine
    assert runner.invoke(app, ["monitor", "--source", str(demo), "--no-realtime", "--no-history", "--notify", "none",
                               "--config", str(config)]).exit_code == 0
    assert wait_for(ran.exists, 30)  # the same file, one's own: its command runs on the demo's alert


def test_a_config_with_a_byte_order_mark_reads_and_a_folder_is_named(tmp_path: Path) -> None:
    """Windows Notepad may begin a file with a byte order mark: it read as an invalid statement. A
    folder as $HEADWATCH_CONFIG was "[Errno 21] Is a directory: 3" (the descriptor's number)."""
    config = tmp_path / "bom.toml"
    config.write_bytes("\ufeff[alerts]\nbad_for_s = 7\n".encode())
    shown = runner.invoke(app, ["config", "show", "--config", str(config)])
    assert shown.exit_code == 0 and "7" in next(line for line in shown.output.splitlines() if "bad_for_s" in line)
    folder = runner.invoke(app, ["config", "show"], env={"HEADWATCH_CONFIG": str(tmp_path)})
    assert folder.exit_code == 2
    lines = [line for line in folder.output.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{tmp_path}: not a regular file" in lines[0], folder.output


def test_a_negative_value_is_judged_as_a_value(tmp_path: Path) -> None:
    """"-5" read as an option: "No such option: -5", which is not what was wrong."""
    config = tmp_path / "c.toml"
    config.write_text("")
    result = runner.invoke(app, ["config", "set", "thresholds.slouch_deg", "-5", "--config", str(config)])
    assert result.exit_code == 2 and "expected a number from 0 to 90, found -5" in result.output, result.output
    assert config.read_text() == ""
    paused = runner.invoke(app, ["pause", "-5m"])
    assert paused.exit_code == 2 and "'-5m': expected a duration" in paused.output, paused.output
