"""Per-frame record files: CSV or JSON Lines, written as records arrive (nothing held back)."""

from __future__ import annotations

import contextlib
import csv
import json
import math
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from headwatch.errors import HeadwatchError
from headwatch.files import open_for_writing
from headwatch.types import METRIC_NAMES, SCHEMA

RECORD_SUFFIXES = (".csv", ".jsonl")


def record_columns() -> list[str]:
    """The columns of a per-frame record file, in order (analyze --out, monitor --out)."""
    return ["path", "t_s", "frame", "person", "confidence", "verdict", "reasons", "skipped", "view",
            "view_confidence", *METRIC_NAMES]


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    return value


def _csv_cell(value: Any) -> Any:
    """CSV as the data tools read it: empty for missing, true/false, a list joined with ';'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value  # a file name like =HYPERLINK(...) must stay text in a spreadsheet
    return value


# What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
FORMULA_STARTS = frozenset("=+-@\t\r")


class RecordWriter:
    """``with RecordWriter(path, columns) as out: out.write(row)``; the format follows the suffix."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        suffix = path.suffix.lower()
        if suffix not in RECORD_SUFFIXES:
            raise HeadwatchError(f"{path}: the record file must end in .csv or .jsonl")
        self.path = path
        self.columns = columns
        self._jsonl = suffix == ".jsonl"
        self._file: IO[str] | None = None
        self._csv: Any = None
        self.broken = False  # set by a caller that went on after a failed write
        self.written = 0  # rows

    def __enter__(self) -> RecordWriter:
        try:
            self._file = open_for_writing(self.path)
        except OSError as exc:
            raise HeadwatchError(f"{self.path}: cannot write the record file: {exc.strerror}") from None
        if not self._jsonl:
            # Every text cell quoted: a spreadsheet that splits on ";" (many locales) keeps
            # "a;=1+1;b.mp4" one cell, not a formula of its own.
            self._csv = csv.DictWriter(self._file, fieldnames=self.columns, quoting=csv.QUOTE_NONNUMERIC)
            self._csv.writeheader()
        return self

    def write(self, row: dict[str, Any]) -> None:
        assert self._file is not None, "use RecordWriter as a context manager"
        clean = {key: _clean(row.get(key)) for key in self.columns}
        try:
            if self._jsonl:
                self._file.write(json.dumps({"schema": SCHEMA, **clean}) + "\n")
            else:
                self._csv.writerow({k: _csv_cell(v) for k, v in clean.items()})
            self._file.flush()  # a crash or Ctrl-C keeps every record written so far
        except OSError as exc:  # a full disk: the caller decides whether to go on without the file
            raise HeadwatchError(f"{self.path}: cannot write the record file: {exc.strerror}") from None
        self.written += 1

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):  # the write that failed already said so
                self._file.close()


def _ends_mid_line(path: Path) -> bool:
    with path.open("rb") as handle:
        if handle.seek(0, 2) == 0:
            return False
        handle.seek(-1, 2)
        return handle.read(1) != b"\n"


class EventLog:
    """Appends each alert event as one JSON line, flushed at once (``--events FILE.jsonl``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.broken = False  # set by a caller that went on after a failed write
        try:
            self._file: IO[str] = open_for_writing(path, append=True)
            if _ends_mid_line(path):  # a crash cut the last event short: start on a line of our own
                self._file.write("\n")
        except OSError as exc:
            raise HeadwatchError(f"{path}: cannot write the event log: {exc.strerror}") from None

    def write(self, event: dict[str, Any]) -> None:
        try:
            self._file.write(json.dumps({"schema": SCHEMA, **event}) + "\n")
            self._file.flush()
        except OSError as exc:  # a full disk: monitoring goes on, the caller says so
            raise HeadwatchError(f"{self.path}: cannot write the event log: {exc.strerror}") from None

    def close(self) -> None:
        with contextlib.suppress(OSError):  # the write that failed already said so
            self._file.close()
