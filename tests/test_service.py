"""Login items as text on every system, installed into a home folder of the test's own, and the
systemd unit checked by systemd-analyze where it exists."""

from __future__ import annotations

import json
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import wait_for
from headwatch.system.service import install, monitor_command, service_for, uninstall

COMMAND = ["/opt/py env/bin/python", "-m", "headwatch", "monitor", "--config", "/home/u/my settings.toml"]


def test_the_systemd_unit() -> None:
    service = service_for("linux", Path("/home/u"), COMMAND, env={})
    assert service.path == Path("/home/u/.config/systemd/user/headwatch.service")
    assert 'ExecStart="/opt/py env/bin/python" -m headwatch monitor --config "/home/u/my settings.toml"' in service.text
    assert "Restart=on-failure" in service.text and "WantedBy=default.target" in service.text
    assert service.enable[-1] == ["systemctl", "--user", "enable", "--now", "headwatch.service"]


def test_the_launchd_agent_is_a_valid_plist() -> None:
    service = service_for("darwin", Path("/Users/u"), COMMAND, env={})
    assert service.path == Path("/Users/u/Library/LaunchAgents/io.headwatch.monitor.plist")
    document = plistlib.loads(service.text.encode())
    assert document["ProgramArguments"] == COMMAND and document["RunAtLoad"] is True


def test_the_windows_startup_script() -> None:
    service = service_for("win32", Path("C:/Users/u"), ["C:/Python/python.exe", "-m", "headwatch", "monitor"],
                          env={"APPDATA": "C:/Users/u/AppData/Roaming"})
    assert service.path.name == "headwatch.cmd" and "Startup" in service.path.parts
    assert service.text.endswith('start "headwatch" /min "C:/Python/python.exe" "-m" "headwatch" "monitor"\r\n')


def test_install_and_uninstall_in_a_home_of_our_own(tmp_path: Path) -> None:
    ran: list[list[str]] = []
    service = service_for("linux", tmp_path, monitor_command(), env={})
    left = install(service, runner=lambda argv: ran.append(argv) or 1)  # systemctl "fails": say what to run
    assert service.path.read_text() == service.text
    assert left == ["systemctl --user daemon-reload", "systemctl --user enable --now headwatch.service"]
    assert f"ExecStart={sys.executable} -P -m headwatch monitor" in service.path.read_text()
    assert uninstall(service, runner=lambda argv: ran.append(argv) or 0)
    assert not service.path.exists() and ran[-1] == ["systemctl", "--user", "disable", "--now", "headwatch.service"]
    assert not uninstall(service)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    def complaints(text: str) -> list[str]:
        unit = tmp_path / "headwatch.service"
        unit.write_text(text)
        done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
        return [line for line in (done.stdout + done.stderr).splitlines() if str(unit) in line] + (
            [f"exit {done.returncode}"] if done.returncode else [])

    good = service_for("linux", tmp_path, monitor_command(), env={}).text
    assert complaints(good) == []
    odd = service_for("linux", tmp_path, monitor_command(Path("/home/u/100%/$HOME \\ it's.toml")), env={}).text
    assert complaints(odd) == []
    # The check can fail: a misspelt key is reported.
    assert complaints(good.replace("RestartSec=30", "RestartSecs=30"))


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_a_control_character_in_a_path_is_refused_on_every_system(platform: str) -> None:
    from headwatch.system.service import ServiceError

    injected = [*COMMAND[:-1], "/x\nExecStartPre=/bin/touch /tmp/PWNED\n#"]
    with pytest.raises(ServiceError, match="control character"):
        service_for(platform, Path("/home/u"), injected, env={})


def test_percent_and_dollar_reach_systemd_as_themselves(tmp_path: Path) -> None:
    from headwatch.system.service import systemd_word

    assert systemd_word("/home/u/100%/$HOME \\ \"x\".toml") == '"/home/u/100%%/$$HOME \\\\ \\"x\\".toml"'
    assert systemd_word("monitor") == "monitor"
    text = service_for("linux", tmp_path, [*COMMAND[:-1], "/home/u/100%/$HOME.toml"], env={}).text
    assert 'ExecStart="/opt/py env/bin/python" -m headwatch monitor --config "/home/u/100%%/$$HOME.toml"' in text


def test_the_command_refuses_an_injected_or_missing_config(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from headwatch.cli import app

    home = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    injected = CliRunner().invoke(app, ["service", "install", "--config", "/x\nExecStartPre=/bin/touch /tmp/PWNED\n#"],
                                  env=home)
    assert injected.exit_code == 2 and "\\n" in injected.stderr and "/tmp/PWNED" in injected.stderr
    assert len(injected.stderr.strip().splitlines()) == 1
    missing = CliRunner().invoke(app, ["service", "install", "--config", str(tmp_path / "nope.toml")], env=home)
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    # A config the monitor would refuse at every login (restarted every 30 s): refused here, once.
    invalid = tmp_path / "invalid.toml"
    invalid.write_text("[alerts]\nbad_for_s = -3\n")
    shared = tmp_path / "shared.toml"
    shared.write_text("[alerts]\nbad_for_s = 3\n")
    shared.chmod(0o666)
    for config, said in ((invalid, "bad_for_s"), (shared, "another user could have written it")):
        refused = CliRunner().invoke(app, ["service", "install", "--config", str(config)], env=home)
        assert refused.exit_code == 2 and said in refused.stderr, refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.rglob("headwatch.service"))


def test_status_asks_the_service_manager(tmp_path: Path) -> None:
    from headwatch.system.service import state_of

    service = service_for("linux", tmp_path, monitor_command(), env={})
    assert state_of(service).describe(service.path) == f"not installed ({service.path})"
    install(service, runner=lambda argv: 0)
    answers = {"is-enabled": (0, "enabled"), "is-active": (3, "inactive")}
    state = state_of(service, query=lambda argv: answers[argv[2]])
    assert state.describe(service.path) == f"installed: {service.path}; enabled at login; not running now"
    unknown = state_of(service, query=lambda argv: (127, ""))  # no systemctl here
    assert unknown.enabled is None and unknown.running is None
    assert "unknown (the service manager did not answer)" in unknown.describe(service.path)
    windows = service_for("win32", tmp_path, monitor_command(), env={})
    install(windows, runner=lambda argv: 0)
    assert state_of(windows).enabled is True  # the Startup folder runs what it holds


def test_an_install_that_cannot_be_enabled_says_so_and_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user service manager (systemctl --user fails): the unit is written but would never start
    at login, so the command says so, with what to run, and exits 1 (it used to exit 0)."""
    from typer.testing import CliRunner

    from headwatch.cli import app

    monkeypatch.setattr("headwatch.system.service._run", lambda argv: 1)
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    result = CliRunner().invoke(app, ["service", "install"])
    assert result.exit_code == 1
    assert "written but not enabled" in result.stderr and "systemctl --user enable --now headwatch.service" in (
        result.stderr) and "headwatch service uninstall" in result.stderr


ODD = "/home/u/my $HOME `x` \\ \"q\" 'a' 100%.toml"


def test_the_tray_starts_with_the_desktop_session_on_linux() -> None:
    from headwatch.system.service import AUTOSTART

    command = monitor_command(Path("/home/u/cfg.toml"), tray=True)
    assert command[1:] == ["-P", "-m", "headwatch", "monitor", "--tray", "--config", "/home/u/cfg.toml"]
    service = service_for("linux", Path("/home/u"), command, env={}, tray=True)
    assert service.path == Path(f"/home/u/.config/autostart/{AUTOSTART}") and service.enable == []
    assert "\nExec=" + " ".join(command) + "\n" in service.text  # plain words need no quotes
    odd = service_for("linux", Path("/home/u"), ["/usr/bin/python3", ODD], env={}, tray=True).text
    assert '\nExec=/usr/bin/python3 "/home/u/my \\\\$HOME \\\\`x\\\\` \\\\\\\\ \\\\"q\\\\" \'a\' 100%%.toml"\n' in odd
    # macOS' agent and Windows' Startup folder start in the desktop session: the same file, --tray in it.
    mac = service_for("darwin", Path("/Users/u"), monitor_command(tray=True), env={}, tray=True)
    assert mac.path.name == "io.headwatch.monitor.plist" and "<string>--tray</string>" in mac.text


@pytest.mark.skipif(shutil.which("gio") is None, reason="gio (GLib's desktop entry launcher) is not installed")
def test_glib_reads_the_autostart_entrys_command_as_written(tmp_path: Path) -> None:
    """The desktop reads Exec= with GLib's own parser: launched by gio, the command gets exactly
    the arguments written, an odd config path included."""
    out = tmp_path / "argv.json"
    script = f"import json, sys; open({str(out)!r}, 'w').write(json.dumps(sys.argv[1:]))"
    command = [sys.executable, "-c", script, "monitor", "--tray", "--config", ODD]
    entry = tmp_path / "headwatch.desktop"
    entry.write_text(service_for("linux", tmp_path, command, env={}, tray=True).text)
    subprocess.run(["gio", "launch", str(entry)], capture_output=True, timeout=30, check=True)
    assert wait_for(lambda: out.exists() and out.read_text())  # gio does not wait for what it launched
    assert json.loads(out.read_text()) == ["monitor", "--tray", "--config", ODD]


def test_install_tray_replaces_the_unit_and_uninstall_removes_it(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """One login item at a time: two would start two monitors on one camera."""
    from typer.testing import CliRunner

    from headwatch.cli import app

    ran: list[list[str]] = []
    monkeypatch.setattr("headwatch.system.service._run", lambda argv: ran.append(argv) or 0)
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    unit, entry = tmp_path / "config/systemd/user/headwatch.service", tmp_path / "config/autostart/headwatch.desktop"
    plain = CliRunner().invoke(app, ["service", "install"])
    assert plain.exit_code == 0 and unit.exists() and not entry.exists()
    tray = CliRunner().invoke(app, ["service", "install", "--tray"])
    assert tray.exit_code == 0, tray.stderr
    assert tray.stdout.splitlines() == [f"removed {unit} (one login item: two would start two monitors)",
                                        f"installed {entry}"]
    assert not unit.exists() and ["systemctl", "--user", "disable", "--now", "headwatch.service"] in ran
    assert "-m headwatch monitor --tray\n" in entry.read_text()
    status = CliRunner().invoke(app, ["service", "status"])
    assert status.stdout.startswith(f"installed: {entry}; enabled at login")
    gone = CliRunner().invoke(app, ["service", "uninstall"])
    assert gone.stdout.strip() == f"removed {entry}" and not entry.exists()
