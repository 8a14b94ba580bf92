"""Settings: built-in defaults < TOML config file < HEADWATCH_<SECTION>_<KEY> variables < flags.

Every setting is declared once, as a field of a section dataclass with its help text and
allowed range; loading, validation, `config init`, `config show` and `config set` all read that
one declaration. Errors name the file, the key, what was expected and what was found.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from headwatch.errors import HeadwatchError
from headwatch.files import NotAFile, NotTrusted, read_small_text, user_folder

CONFIG_ENV = "HEADWATCH_CONFIG"
CONFIG_SIZE_LIMIT = 1 << 20  # a config file is a few KiB: more is not one
ENV_PREFIX = "HEADWATCH_"
# Variables headwatch reads that are not settings (the model folder), or that it sets for an
# --on-alert hook: never "unknown".
OTHER_VARIABLES = frozenset({CONFIG_ENV, "HEADWATCH_MODELS_DIR", "HEADWATCH_NATIVE_DIAGNOSTICS", "HEADWATCH_EVENT",
                             "HEADWATCH_T_S", "HEADWATCH_START_S", "HEADWATCH_REASONS", "HEADWATCH_MESSAGE",
                             "HEADWATCH_EVENT_JSON"})


class ConfigError(HeadwatchError, ValueError):
    """An invalid config file, variable or value (exit code 2; a ValueError to code that builds
    settings itself)."""


def check_fields(obj: Any, sections: tuple[str, ...]) -> None:
    """Each field of the dataclass ``obj`` that is a setting of one of ``sections`` checked against
    that setting's declared type and range: settings built in code (the Python API, a test) are
    held to what a config file is. Fields that are not settings are left alone."""
    where = type(obj).__name__
    for f in fields(obj):
        for section in sections:
            key = KEYS.get(f"{section}.{f.name}")
            if key is not None:
                check_value(key, getattr(obj, f.name), where)
                break


_T = TypeVar("_T")


def _checked(cls: type[_T]) -> type[_T]:
    """A settings section whose fields are checked when it is built (below @dataclass, so that the
    generated __init__ calls the check). Its section is the Settings field holding the class."""
    def __post_init__(self: Any) -> None:
        name = type(self).__name__
        section = next(f.name for f in fields(Settings) if getattr(f.default_factory, "__name__", "") == name)
        check_fields(self, (section,))

    cls.__post_init__ = __post_init__  # type: ignore[attr-defined]
    return cls


def _opt(default: Any, help: str, low: float | None = None, high: float | None = None,
         choices: tuple[str, ...] | None = None) -> Any:
    return field(default=default, metadata={"help": help, "low": low, "high": high, "choices": choices})


@dataclass(frozen=True, slots=True)
@_checked
class Thresholds:
    """Absolute limits: before a personal reference is ready, and for what it does not cover."""

    slouch_deg: float = _opt(36.0, "profile view: head-forward angle plus forward trunk lean above this is bad",
                             0, 90)
    trunk_forward_deg: float = _opt(20.0, "profile view: forward trunk lean above this is bad", 0, 90)
    standing_slouch_deg: float = _opt(20.0, "profile view, standing (hips and knees in view) or the hips out of "
                                      "view: head-forward angle plus forward trunk lean above this is bad", 0, 90)
    ear_height_face_ratio: float = _opt(1.35, "front view: ears' height above the shoulders in face widths "
                                        "below this is bad", 0, 5)
    shoulder_tilt_deg: float = _opt(8.0, "front view: shoulder tilt beyond +- this is bad", 0, 45)
    head_roll_deg: float = _opt(15.0, "front view: head roll beyond +- this is bad", 0, 45)
    trunk_lean_deg: float = _opt(10.0, "front view: sideways trunk lean beyond +- this is bad", 0, 45)
    reclined_flexion_deg: float = _opt(25.0, "profile view, reclined with the hips in view: the head bent forward "
                                       "off the trunk by more than this is bad (ISO 11226)", 0, 90)


@dataclass(frozen=True, slots=True)
@_checked
class Calibration:
    """Margins around a calibrated baseline, used when a profile is selected."""

    head_forward_margin_deg: float = _opt(10.0, "profile view: head forward (with the trunk's forward lean) more "
                                          "than this beyond your upright baseline is bad", 0, 60)
    ear_height_margin: float = _opt(0.06, "front view: ear height (in face widths) dropping by more than this "
                                    "share of your baseline is bad", 0, 1)
    shoulder_tilt_margin_deg: float = _opt(6.0, "shoulder tilt more than this from your baseline is bad", 0, 45)
    head_roll_margin_deg: float = _opt(12.0, "head roll more than this from your baseline is bad", 0, 45)
    trunk_lean_margin_deg: float = _opt(10.0, "trunk lean more than this from your baseline is bad", 0, 45)
    sink_margin: float = _opt(0.3, "your head sinking (slumping down, leaning back) by more than this many neck "
                              "lengths below your upright height is bad", 0.05, 5)
    seconds: float = _opt(10.0, "how long `headwatch calibrate` records", 3, 120)
    profile: str = _opt("default", "the profile monitor and analyze use when it exists (empty = none: "
                        "reference.mode decides)")


@dataclass(frozen=True, slots=True)
@_checked
class ReferenceSettings:
    """What posture is judged against when no calibrated profile is selected."""

    mode: str = _opt("auto", "auto: learn your upright posture as you work (absolute limits until then, "
                     "tightened by what was seen so far); "
                     "absolute: the absolute thresholds only", choices=("auto", "absolute"))
    learn_min: float = _opt(2.0, "minutes of presence the learned reference needs before it is used", 0.1, 60)
    refresh_min: float = _opt(10.0, "how often a learned reference is refreshed from recent good posture", 1, 1440)
    replay: bool = _opt(False, "analyze and eval: judge a recording exactly as the monitor would have (the "
                        "absolute limits, tightened by what was seen so far, until learn_min of presence); "
                        "false: a recording shorter than "
                        "learn_min learns the person's upright posture from all of its first set-up")


@dataclass(frozen=True, slots=True)
@_checked
class Alerts:
    """When a bad posture becomes an alert."""

    bad_for_s: float = _opt(30.0, "seconds a bad posture must persist before it alerts", 1, 3600)
    bad_share: float = _opt(0.8, "share of the judged samples in that time that must be bad", 0.5, 1)
    good_for_s: float = _opt(5.0, "seconds of good posture that end a bad stretch", 0, 600)
    repeat_after_s: float = _opt(300.0, "repeat an alert (and reminders) this often while it lasts", 10, 86400)
    away_reset_s: float = _opt(60.0, "an absence this long resets the posture timers", 1, 86400)


@dataclass(frozen=True, slots=True)
@_checked
class Reminders:
    """Break and movement reminders."""

    break_after_min: float = _opt(50.0, "remind to take a break after this many minutes of presence", 1, 1440)
    break_min_s: float = _opt(180.0, "an absence this long counts as a break", 10, 86400)
    still_for_min: float = _opt(30.0, "remind to move after this many minutes in one position", 1, 1440)
    still_tolerance: float = _opt(0.05, "movement under this share of the frame height counts as still", 0.001, 1)


@dataclass(frozen=True, slots=True)
@_checked
class Capture:
    """Where frames come from and how often they are looked at."""

    source: str = _opt("0", "camera index, video file or stream URL for `monitor`")
    model: str = _opt("full", "pose model: lite, full or the path of a .task file")
    fps: float = _opt(5.0, "frames per second while posture matters", 0.2, 60)
    calm_fps: float = _opt(1.0, "frames per second while posture has been stable", 0.1, 60)
    # Short: a slouch wakes the full rate within seconds anyway (alerts.bad_share of recent samples),
    # and a well-sitting start is where a monitor that runs all day spends its first minute.
    calm_after_s: float = _opt(5.0, "seconds of presence at the full rate when a session starts", 0, 3600)
    # 1, the monitor's calm rate: alerts need 30 s of bad posture, and 5 fps gave the same alerts
    # and bad shares on the development video and the demo at a fifth of the cost.
    analyze_fps: float = _opt(1.0, "frames per second `analyze` and `eval` sample from videos", 0.1, 120)
    # A look at a picture that has not moved since the last model look cannot change the verdict
    # (vision/stillness.py): the same in `monitor` and `analyze`, so a recording replays the monitor.
    rest_when_still: bool = _opt(True, "rest the pose model while the picture holds still (the last look's "
                                 "verdict stands)")
    still_check_s: float = _opt(10.0, "with rest_when_still: run the pose model at least this often (seconds)",
                                1, 600)
    release_when_locked: bool = _opt(True, "release the camera while the screen is locked or the machine sleeps, "
                                     "and take it again after (Linux: logind and the desktop's screen saver)")
    share_camera: bool = _opt(True, "release the camera while another program (a video call) uses it, and take "
                              "it again when it is free (Linux; macOS and Windows share cameras themselves)")


@dataclass(frozen=True, slots=True)
@_checked
class Notify:
    """How alerts reach you."""

    mode: str = _opt("desktop", "desktop, terminal or none", choices=("desktop", "terminal", "none"))
    on_alert: str = _opt("", "a command to run on each event (empty = none)")
    snooze_min: float = _opt(30.0, "how long `s` in the monitor's terminal silences notifications (minutes)", 1,
                             1440)
    without_tray: str = _opt("notifications", "`monitor --tray` where no tray host answers: go on with "
                             "notifications (a Show preview button on alerts), or exit",
                             choices=("notifications", "exit"))


@dataclass(frozen=True, slots=True)
@_checked
class OutputSettings:
    """Files headwatch writes when asked to."""

    events: str = _opt("", "append monitor events to this JSON Lines file (empty = none)")
    profiles_dir: str = _opt("", "where calibrated profiles live (empty = the user data folder)")
    history: str = _opt("", "the history database monitor records into (empty = history.sqlite in the user data "
                        "folder)")
    retention_days: float = _opt(365.0, "sessions older than this many days are deleted from the history when "
                                 "the monitor starts (0 keeps everything)", 0, 36500)


@dataclass(frozen=True, slots=True)
class Settings:
    thresholds: Thresholds = field(default_factory=Thresholds)
    calibration: Calibration = field(default_factory=Calibration)
    reference: ReferenceSettings = field(default_factory=ReferenceSettings)
    alerts: Alerts = field(default_factory=Alerts)
    reminders: Reminders = field(default_factory=Reminders)
    capture: Capture = field(default_factory=Capture)
    notify: Notify = field(default_factory=Notify)
    output: OutputSettings = field(default_factory=OutputSettings)


@dataclass(frozen=True, slots=True)
class Key:
    section: str
    name: str
    type: type
    default: Any
    help: str
    low: float | None
    high: float | None
    choices: tuple[str, ...] | None

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.name}"

    @property
    def env(self) -> str:
        return f"{ENV_PREFIX}{self.section.upper()}_{self.name.upper()}"

    def expected(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        kind = {float: "a number", int: "a whole number", bool: "true or false", str: "a string"}[self.type]
        if self.low is not None and self.high is not None:
            return f"{kind} from {self.low:g} to {self.high:g}"
        return kind


def _section_classes() -> dict[str, type]:
    return {f.name: f.default_factory for f in fields(Settings)}  # type: ignore[misc]


def all_keys() -> list[Key]:
    keys = []
    for section, cls in _section_classes().items():
        for f in fields(cls):
            default = f.default if f.default is not MISSING else None
            keys.append(Key(section, f.name, type(default), default, f.metadata["help"], f.metadata["low"],
                            f.metadata["high"], f.metadata["choices"]))
    return keys


KEYS: dict[str, Key] = {k.dotted: k for k in all_keys()}


def suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def check_value(key: Key, value: Any, where: str) -> Any:
    """The value converted to the key's type, or ConfigError naming where it came from."""
    prefix = f"{where}: {key.dotted}: expected {key.expected()}, found"
    if key.type is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{prefix} {_describe(value)}")
        try:
            value = float(value)
        except OverflowError:  # a 400-digit integer
            raise ConfigError(f"{prefix} a number too large") from None
        if not math.isfinite(value):
            raise ConfigError(f"{prefix} {value}")
    elif key.type in (str, bool) and not isinstance(value, key.type):
        raise ConfigError(f"{prefix} {_describe(value)}")
    if key.choices and value not in key.choices:
        raise ConfigError(f"{prefix} {value!r}")
    if key.low is not None and key.high is not None and not key.low <= value <= key.high:
        raise ConfigError(f"{prefix} {value:g}")
    return value


def _describe(value: Any) -> str:
    kind = {bool: "a boolean", int: "a whole number", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)
    shown = repr(value) if not isinstance(value, dict | list) else ""
    return f"{kind} {shown}".strip()


def parse_text_value(key: Key, text: str, where: str) -> Any:
    """A value given as text (environment variable, `config set`), converted to the key's type."""
    if key.type is float:
        try:
            number = float(text)
        except ValueError:
            raise ConfigError(f"{where}: {key.dotted}: expected {key.expected()}, found {text!r}") from None
        return check_value(key, number, where)
    if key.type is bool:
        word = text.strip().lower()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise ConfigError(f"{where}: {key.dotted}: expected {key.expected()}, found {text!r}")
        return word in TRUE_WORDS
    return check_value(key, text, where)


TRUE_WORDS, FALSE_WORDS = frozenset({"true", "yes", "on", "1"}), frozenset({"false", "no", "off", "0"})


def default_config_path() -> Path:
    return user_folder("config") / "config.toml"


def config_path_in_effect(explicit: Path | None, env: Mapping[str, str]) -> tuple[Path, str]:
    """(path, why): --config, then $HEADWATCH_CONFIG, then the user config folder."""
    if explicit is not None:
        return explicit, "--config"
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser(), CONFIG_ENV
    return default_config_path(), "default location"


def _config_text(path: Path) -> str:
    """The config file's TOML text. A byte order mark (Windows Notepad may write one) is not TOML:
    it read as an invalid statement."""
    return read_small_text(path, CONFIG_SIZE_LIMIT, trusted=True).replace("\r\n", "\n").removeprefix("\ufeff")


def read_config_file(path: Path) -> dict[str, dict[str, Any]]:
    """The file's values by section, validated; raises ConfigError with the file's name."""
    try:
        text = _config_text(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (create one with `headwatch config init`)") from None
    except NotAFile as exc:
        raise ConfigError(f"{exc}; give the path of a TOML file") from None
    except NotTrusted as exc:  # it may name a command to run (notify.on_alert) and where to write
        raise ConfigError(f"{exc} (`chmod go-w` it or its folder, or keep it in a folder of your own)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:  # thousands of nested arrays or tables
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    except ValueError as exc:  # a 5000-digit integer: Python's limit on converting digits
        raise ConfigError(f"{path}: invalid TOML: a number too long ({str(exc).split(';')[0]})") from None
    return _checked_values(path, data, _raise)


def _raise(error: ConfigError) -> None:
    raise error


def _checked_values(path: Path, data: Mapping[str, Any],
                    problem: Callable[[ConfigError], None]) -> dict[str, dict[str, Any]]:
    """The file's values by section; each problem goes to ``problem`` (which may raise, or note it
    and let the rest be checked)."""
    sections = _section_classes()
    values: dict[str, dict[str, Any]] = {}
    for section, table in data.items():
        if section not in sections:
            problem(ConfigError(f"{path}: unknown section [{section}]{suggest(section, list(sections))}"))
            continue
        if not isinstance(table, dict):
            problem(ConfigError(f"{path}: {section}: expected a [{section}] table, found {_describe(table)}"))
            continue
        for name, value in table.items():
            dotted = f"{section}.{name}"
            key = KEYS.get(dotted)
            if key is None:
                names = [k.dotted for k in KEYS.values() if k.section == section]
                hint = suggest(dotted, names) or suggest(dotted, list(KEYS))
                problem(ConfigError(f"{path}: unknown key {dotted}{hint}"))
                continue
            try:
                values.setdefault(section, {})[name] = check_value(key, value, str(path))
            except ConfigError as exc:
                problem(exc)
    return values


def config_problems(explicit: Path | None = None, env: Mapping[str, str] | None = None) -> list[str]:
    """Every problem of the config file in effect and of the HEADWATCH_ variables, not only the
    first (what `config check` lists); empty when the settings load."""
    env = os.environ if env is None else env
    found: list[str] = []
    path, reason = config_path_in_effect(explicit, env)
    if path.is_file() or reason != "default location":
        try:
            read_config_file(path)
        except ConfigError as first:
            try:  # a file that parses: check every value; one that does not has its one problem
                data = tomllib.loads(_config_text(path))
            except (OSError, UnicodeDecodeError, NotAFile, NotTrusted, tomllib.TOMLDecodeError, RecursionError,
                    ValueError):
                found.append(str(first))
            else:
                _checked_values(path, data, lambda error: found.append(str(error)))
    known_env = {key.env: key for key in KEYS.values()}
    for variable, text in env.items():
        key = known_env.get(variable)
        if key is None:
            continue
        try:
            parse_text_value(key, text, f"environment {variable}")
        except ConfigError as exc:
            found.append(str(exc))
    return found


@dataclass(frozen=True, slots=True)
class LoadedSettings:
    settings: Settings
    origins: dict[str, str]  # dotted key -> "default" | file path | env variable | "command line"
    path: Path
    path_reason: str
    file_exists: bool
    warnings: tuple[str, ...] = ()  # e.g. a misspelt HEADWATCH_ variable, which is otherwise ignored


def load_layered(explicit: Path | None = None, env: Mapping[str, str] | None = None,
                  overrides: Mapping[str, Any] | None = None) -> LoadedSettings:
    """Settings from all four layers. ``overrides`` are command-line values by dotted key (None = unset)."""
    env = os.environ if env is None else env
    path, reason = config_path_in_effect(explicit, env)
    exists = path.is_file()
    if not exists and reason != "default location":
        read_config_file(path)  # a file the user named must exist: raises "not found", naming it
    layered: dict[str, Any] = {}
    origins = {dotted: "default" for dotted in KEYS}
    if exists:
        for section, table in read_config_file(path).items():
            for name, value in table.items():
                layered[f"{section}.{name}"] = value
                origins[f"{section}.{name}"] = str(path)
    known_env = {key.env: key for key in KEYS.values()}
    warnings: list[str] = []
    for variable, text in env.items():
        if not variable.startswith(ENV_PREFIX) or variable in OTHER_VARIABLES:
            continue
        key = known_env.get(variable)
        if key is None:
            if variable.count("_") >= 2 and variable.split("_")[1].lower() in _section_classes():
                raise ConfigError(f"environment: unknown variable {variable}{suggest(variable, list(known_env))}")
            warnings.append(f"environment: {variable} is not a headwatch setting and is ignored"
                            f"{suggest(variable, list(known_env))}")
            continue
        layered[key.dotted] = parse_text_value(key, text, f"environment {variable}")
        origins[key.dotted] = f"environment {variable}"
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        layered[dotted] = check_value(KEYS[dotted], value, "command line")
        origins[dotted] = "command line"
    return LoadedSettings(_build(layered), origins, path, reason, exists, tuple(warnings))


def _build(values: Mapping[str, Any]) -> Settings:
    settings = Settings()
    by_section: dict[str, dict[str, Any]] = {}
    for dotted, value in values.items():
        section, name = dotted.split(".", 1)
        by_section.setdefault(section, {})[name] = value
    for section, changes in by_section.items():
        settings = replace(settings, **{section: replace(getattr(settings, section), **changes)})
    return settings


def value_of(settings: Settings, dotted: str) -> Any:
    section, name = dotted.split(".", 1)
    return getattr(getattr(settings, section), name)


def _toml_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def default_file_text() -> str:
    """A config file holding every default, each commented with what it does."""
    lines = ["# headwatch settings. Precedence, lowest to highest: built-in defaults, this file,",
             "# HEADWATCH_<SECTION>_<KEY> environment variables, command-line flags.",
             "# Every setting is listed with its built-in default, commented out: uncomment and change",
             "# what you need (or use `headwatch config set SECTION.KEY VALUE`).", ""]
    for section, cls in _section_classes().items():
        lines.append(f"[{section}]")
        lines.append(f"# {(cls.__doc__ or '').strip()}")
        for key in (k for k in KEYS.values() if k.section == section):
            lines.append(f"# {key.help} ({key.expected()})")
            lines.append(f"# {key.name} = {_toml_literal(key.default)}")
        lines.append("")
    return "\n".join(lines)


_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(#.*)?$")


def _uncomment_default(text: str, key: Key, literal: str) -> str | None:
    """The text with ``# name = ...`` (a default `config init` wrote) in the key's section
    replaced by ``literal``; None when there is no such line."""
    lines = text.splitlines()
    section: str | None = None
    for i, line in enumerate(lines):
        header = _HEADER.match(line)
        if header:
            section = header.group(1)
            continue
        stripped = line.strip()
        commented = stripped.startswith("#") and "=" in stripped
        if section == key.section and commented and stripped.lstrip("#").split("=", 1)[0].strip() == key.name:
            lines[i] = literal
            return "\n".join(lines) + "\n"
    return None


def set_value_in_text(text: str, key: Key, value: Any) -> str:
    """Change (or add) one key in a config file's text, keeping every other line and comment.

    tomlkit edits the document as written (comments, dotted keys, headers with comments); a
    default that `config init` wrote commented out is uncommented in place rather than repeated.
    """
    import tomlkit

    document = tomlkit.parse(text)
    table = document.get(key.section)
    if table is None or key.name not in table:
        uncommented = _uncomment_default(text, key, f"{key.name} = {_toml_literal(value)}")
        if uncommented is not None:
            return uncommented
    if table is None:
        document[key.section] = table = tomlkit.table()
    table[key.name] = value
    return tomlkit.dumps(document)


def settings_from(path: str | Path | None = None) -> Settings:
    """The settings in effect, as a program sees them: defaults < the config file (``path``, else
    $HEADWATCH_CONFIG, else the user's) < HEADWATCH_ variables. Raises ConfigError."""
    return load_layered(Path(path) if path is not None else None).settings
