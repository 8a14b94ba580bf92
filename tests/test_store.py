"""The history database on real SQLite files: round trips, a damaged and a foreign file moved
aside, an old schema migrated, a newer one refused, two writers at once, pruning."""

from __future__ import annotations

import datetime
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from conftest import exclusive_lock
from headwatch.storage import history as store
from headwatch.storage.history import History, HistoryError
from headwatch.timeline.intervals import Interval

T0 = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))


def interval(start: datetime.datetime, ok: float = 8.0, bad: float = 2.0) -> Interval:
    return Interval(start, 10.0, ok + bad, ok, bad, 0.0, 0.0, {"head_forward": bad}, {"head_forward_deg": 21.5}, 50)


def test_a_session_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    with History.open(path) as history:
        session = history.start_session(T0, "0", "learned reference", "abc123")
        for i in range(3):
            history.add_interval(session, interval(T0 + datetime.timedelta(seconds=10 * i)))
        history.add_event(session, T0 + datetime.timedelta(seconds=25), "bad_posture", ["head_forward"],
                          {"kind": "bad_posture", "t_s": 25.0})
        history.end_session(session, T0 + datetime.timedelta(seconds=30))
    with History.open(path) as history:  # a new connection reads what the first committed
        (row,) = history.sessions()
        assert (row.started, row.ended, row.source) == ("2026-11-24T09:00:00+01:00", "2026-11-24T09:00:30+01:00", "0")
        assert (row.monitored_s, row.ok_s, row.bad_s, row.alerts) == (30.0, 24.0, 6.0, 1)
        first = next(history.intervals(session))
        assert first["bad_by_reason"] == {"head_forward": 2.0} and first["medians"] == {"head_forward_deg": 21.5}
        assert history.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _foreign_files(tmp_path: Path) -> dict[str, Path]:
    """Files that are not headwatch's histories, as a careless --history might name them."""
    text = tmp_path / "notes.txt"
    text.write_bytes(b"this is not a database, it is a shopping list\n" * 40)
    header_only = tmp_path / "header.sqlite"
    header_only.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    recipes = tmp_path / "recipes.sqlite"
    with sqlite3.connect(recipes) as other:
        other.execute("CREATE TABLE recipes (name TEXT)")
        other.execute("INSERT INTO recipes VALUES ('bread')")
    return {"text": text, "garbage after an SQLite header": header_only, "another app's database": recipes}


def _snapshot(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name)}


@pytest.mark.parametrize("read_only", [False, True])
def test_a_file_that_is_not_headwatchs_is_left_as_it_is(tmp_path: Path, read_only: bool) -> None:
    for what, path in _foreign_files(tmp_path).items():
        before = _snapshot(path)
        with pytest.raises(HistoryError, match=r"not a headwatch history.*left as it is"):
            History.open(path, clock=lambda: T0, read_only=read_only)
        assert _snapshot(path) == before, what
    assert not list(tmp_path.glob("*damaged*"))


def test_another_apps_wal_database_keeps_its_uncheckpointed_rows(tmp_path: Path) -> None:
    path = tmp_path / "app.sqlite"
    holder = sqlite3.connect(path)  # kept open, so its committed rows stay in the -wal file
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("PRAGMA wal_autocheckpoint = 0")
    holder.execute("CREATE TABLE notes (text TEXT)")
    holder.execute("INSERT INTO notes VALUES ('only in the wal')")
    holder.commit()
    assert Path(str(path) + "-wal").stat().st_size > 0
    for read_only in (False, True):
        with pytest.raises(HistoryError, match="not a headwatch history"):
            History.open(path, read_only=read_only)
    holder.close()
    assert sqlite3.connect(path).execute("SELECT text FROM notes").fetchone() == ("only in the wal",)


def _damaged_history(tmp_path: Path) -> Path:
    """A real history of headwatch's whose pages past the header are overwritten."""
    path = tmp_path / "history.sqlite"
    with History.open(path) as history:
        sid = history.start_session(T0, "0", "absolute limits", "h")
        for i in range(200):
            history.add_event(sid, T0, "bad_posture", ["head_forward"], {"i": i, "pad": "x" * 200})
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[4096:12288] = b"\xa5" * 8192  # pages 2-3 (the header and page 1 survive: still provably ours)
    path.write_bytes(bytes(data))
    return path


def test_a_damaged_history_of_headwatchs_is_moved_aside_when_writing(tmp_path: Path) -> None:
    path = _damaged_history(tmp_path)
    damaged = path.read_bytes()
    with pytest.raises(HistoryError, match="damaged"):
        History.open(path, read_only=True)  # reading never moves anything
    assert path.read_bytes() == damaged and not list(tmp_path.glob("*damaged-*"))
    with History.open(path, clock=lambda: T0) as history:
        assert history.moved_aside == tmp_path / "history.sqlite.damaged-20261124-090000"
        assert history.moved_aside.read_bytes() == damaged
        assert history.sessions() == []


def test_a_locked_history_is_waited_for_then_reported_never_moved(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "history.sqlite"
    History.open(path).close()
    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 0.5)
    # In WAL mode a lock keeps out writers only: the history opens and reads, and a write waits
    # for the busy timeout, then says so.
    with exclusive_lock(path), History.open(path) as history:
        assert history.sessions() == []
        with pytest.raises(HistoryError, match="locked by another program"):
            history.start_session(T0, "0", "absolute limits", "h")
    assert not list(tmp_path.glob("*damaged*"))
    with History.open(path, read_only=True) as history:
        assert history.sessions() == []


def _open_at_once(path: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        with History.open(Path(path)) as history:
            history.start_session(T0, "0", "absolute limits", "h")
        results.put("ok")
    except Exception as exc:  # reported to the test, which fails on it
        results.put(repr(exc))


def test_two_processes_creating_a_history_at_once_share_one(tmp_path: Path) -> None:
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    for attempt in range(6):
        path = tmp_path / f"history-{attempt}.sqlite"
        barrier, results = context.Barrier(2), context.Queue()
        workers = [context.Process(target=_open_at_once, args=(str(path), barrier, results)) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        assert sorted(results.get(timeout=5) for _ in workers) == ["ok", "ok"]
        with History.open(path, read_only=True) as history:
            assert len(history.sessions()) == 2
    assert not list(tmp_path.glob("*damaged*")) and not list(tmp_path.glob(".*.new*"))


def test_reading_never_changes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    with History.open(path) as history:
        history.start_session(T0, "0", "absolute limits", "h")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.read_bytes()
    with History.open(path, read_only=True) as history:
        assert len(history.sessions()) == 1
    assert path.read_bytes() == before


def test_a_new_history_is_private(tmp_path: Path) -> None:
    import stat

    path = tmp_path / "history.sqlite"
    History.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_older_schema_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    old = sqlite3.connect(path)
    old.executescript(store._MIGRATIONS[0])
    old.execute(f"PRAGMA application_id = {store._APPLICATION_ID}")
    old.execute("PRAGMA user_version = 1")
    old.execute("INSERT INTO sessions (started, source, reference, settings_hash) VALUES ('2026-01-01T08:00:00+00:00',"
                " '0', 'absolute limits', 'x')")
    old.execute("INSERT INTO intervals (session_id, started, seconds, present_s, ok_s, bad_s, away_s, unknown_s,"
                " bad_by_reason, medians) VALUES (1, '2026-01-01T08:00:00+00:00', 10, 10, 10, 0, 0, 0, '{}', '{}')")
    old.commit()
    old.close()
    with History.open(path) as history:
        assert history.connection.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
        (row,) = history.sessions()
        assert row.monitored_s == 10.0 and next(history.intervals(1))["samples"] == 0


def test_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    with History.open(path):
        pass
    newer = sqlite3.connect(path)
    newer.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 1}")
    newer.commit()
    newer.close()
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="written by a newer headwatch"):
        History.open(path)
    assert path.read_bytes() == before


def test_two_writers_at_once_both_record(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    History.open(path).close()

    def monitor(source: str) -> None:
        with History.open(path) as history:
            session = history.start_session(T0, source, "absolute limits", "x")
            for i in range(50):
                history.add_interval(session, interval(T0 + datetime.timedelta(seconds=10 * i)))

    threads = [threading.Thread(target=monitor, args=(name,)) for name in ("0", "1")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with History.open(path) as history:
        assert sorted((r.source, r.monitored_s) for r in history.sessions()) == [("0", 500.0), ("1", 500.0)]


def test_prune_deletes_old_sessions_with_their_rows(tmp_path: Path) -> None:
    with History.open(tmp_path / "history.sqlite") as history:
        for days in (40, 10):
            session = history.start_session(T0 - datetime.timedelta(days=days), "0", "absolute limits", "x")
            history.add_interval(session, interval(T0 - datetime.timedelta(days=days)))
            history.add_event(session, T0 - datetime.timedelta(days=days), "break", [], {})
        assert history.prune(T0 - datetime.timedelta(days=30)) == 1
        assert [r.started[:10] for r in history.sessions()] == ["2026-11-14"]
        assert history.connection.execute("SELECT count(*) FROM intervals").fetchone()[0] == 1
        assert history.connection.execute("SELECT count(*) FROM events").fetchone()[0] == 1


def test_the_history_command_lists_prunes_and_exports(tmp_path: Path) -> None:
    import csv
    import json
    import re

    from typer.testing import CliRunner

    from headwatch.cli import app

    path = tmp_path / "history.sqlite"
    now = datetime.datetime.now().astimezone().replace(microsecond=0)
    with History.open(path) as history:
        for days, bad in ((400, 0.0), (1, 2.5)):
            session = history.start_session(now - datetime.timedelta(days=days), "0", "absolute limits", "x")
            history.add_interval(session, interval(now - datetime.timedelta(days=days), ok=10.0 - bad, bad=bad))
            history.add_event(session, now, "bad_posture", ["head_forward"], {})

    def cli(*args: str):  # type: ignore[no-untyped-def]
        result = CliRunner().invoke(app, ["history", *args, "--history", str(path)])
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        return result

    listed = cli("list").stdout.splitlines()
    # The start in local time, to the minute (two words), then monitored, good share and alerts.
    assert len(listed) == 3 and listed[2].split()[3:6] == ["0m10s", "75%", "1"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", " ".join(listed[2].split()[1:3]))
    sessions = json.loads(cli("list", "--json").stdout)["sessions"]
    assert [s["bad_s"] for s in sessions] == [0.0, 2.5]
    assert cli("prune").stdout.startswith("deleted 1 session ")  # the default keeps 365 days
    out = tmp_path / "intervals.csv"
    assert cli("export", "--csv", str(out)).exit_code == 0
    (row,) = list(csv.DictReader(out.open()))
    assert row["bad_s"] == "2.5" and row["bad_head_forward_s"] == "2.5" and row["median_head_forward_deg"] == "21.5"
    missing = CliRunner().invoke(app, ["history", "list", "--history", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 1 and "no history yet" in missing.stderr


def test_prune_never_deletes_the_session_a_monitor_records_into(tmp_path: Path) -> None:
    with History.open(tmp_path / "history.sqlite") as history:
        live = history.start_session(T0 - datetime.timedelta(hours=3), "0", "absolute limits", "x")
        history.add_interval(live, interval(T0 - datetime.timedelta(seconds=20)))  # still writing
        crashed = history.start_session(T0 - datetime.timedelta(days=3), "0", "absolute limits", "x")
        history.add_interval(crashed, interval(T0 - datetime.timedelta(days=3)))  # never ended, long quiet
        assert history.prune(T0, now=T0) == 1  # --days 0
        assert [r.id for r in history.sessions()] == [live]


def test_prune_compares_instants_across_utc_offsets(tmp_path: Path) -> None:
    tokyo = datetime.timezone(datetime.timedelta(hours=9))
    with History.open(tmp_path / "history.sqlite") as history:
        # 10:00 in Tokyo is 02:00 UTC, before 08:00 UTC, though the text "10:00" sorts after "08:00".
        early = history.start_session(datetime.datetime(2026, 11, 20, 10, 0, tzinfo=tokyo), "0", "a", "x")
        history.end_session(early, datetime.datetime(2026, 11, 20, 11, 0, tzinfo=tokyo))
        cutoff = datetime.datetime(2026, 11, 20, 8, 0, tzinfo=datetime.UTC)
        assert history.prune(cutoff, now=T0) == 1


@pytest.mark.parametrize("days", ["inf", "1e10", "99999999", "-1", "nan"])
def test_prune_refuses_days_no_calendar_holds_in_one_line(tmp_path: Path, days: str) -> None:
    from typer.testing import CliRunner

    from headwatch.cli import app

    path = tmp_path / "history.sqlite"
    History.open(path).close()
    result = CliRunner().invoke(app, ["history", "prune", "--days", days, "--history", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2 and "expected a number of days" in result.stderr


@pytest.mark.parametrize("period", [["--to", "9999-12-31"], ["--from", "1900-01-01"],
                                    ["--from", "1970-01-01", "--to", "8999-01-01"]])
def test_report_refuses_periods_no_calendar_holds_in_one_line(tmp_path: Path, period: list[str]) -> None:
    from typer.testing import CliRunner

    from headwatch.cli import app

    path = tmp_path / "history.sqlite"
    with History.open(path) as history:
        history.start_session(T0, "0", "absolute limits", "x")
    result = CliRunner().invoke(app, ["report", *period, "--history", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


def test_damaged_rows_are_skipped_with_a_warning_not_a_traceback(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from headwatch.cli import app

    path = tmp_path / "history.sqlite"
    now = datetime.datetime.now().astimezone().replace(microsecond=0)
    with History.open(path) as history:
        session = history.start_session(now - datetime.timedelta(hours=1), "0", "absolute limits", "x")
        for minutes in (50, 40, 30):
            history.add_interval(session, interval(now - datetime.timedelta(minutes=minutes)))
        history.add_event(session, now, "bad_posture", ["head_forward"], {})
    with sqlite3.connect(path) as db:  # a hand edit, or another program, broke two rows
        db.execute("UPDATE intervals SET bad_by_reason = 'not json' WHERE rowid = 1")
        db.execute("UPDATE intervals SET started = 'yesterday' WHERE rowid = 2")
        db.execute("UPDATE events SET detail = '[1' WHERE rowid = 1")
    for command in (["report", "--today"], ["history", "export"]):
        result = CliRunner().invoke(app, [*command, "--history", str(path)])
        assert result.exception is None or isinstance(result.exception, SystemExit), (command, result.exception)
        assert result.exit_code == 0
        assert "damaged row" in result.stderr and "skipped" in result.stderr
    exported = CliRunner().invoke(app, ["history", "export", "--history", str(path)])
    assert len(exported.stdout.strip().splitlines()) == 2  # the header and the one whole interval


def test_export_onto_a_full_disk_is_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from headwatch.cli import app

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    path = tmp_path / "history.sqlite"
    with History.open(path) as history:
        session = history.start_session(T0, "0", "absolute limits", "x")
        for i in range(50):
            history.add_interval(session, interval(T0 + datetime.timedelta(seconds=10 * i)))
    full = tmp_path / "full.csv"
    full.symlink_to("/dev/full")  # every write: no space left on device
    result = CliRunner().invoke(app, ["history", "export", "--csv", str(full), "--history", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "cannot write the CSV" in line and "No space left" in line
