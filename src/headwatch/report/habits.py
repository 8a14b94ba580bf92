"""The habits behind the knots, from what the history holds: one side loaded more than the other,
one position held for long, long sittings, the head carried forward of the person's upright.
Pure: interval rows (as History.intervals gives them) and event rows in, habits out.

A habit is named only over enough monitored time to mean something (MIN_HABIT_S), and each says
in one plain sentence what it is and what the person can change.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwatch.config.settings import Alerts, Reminders
from headwatch.report.history import Sitting, local_midnight, sittings, unwatched_spans
from headwatch.timeline.intervals import IntervalAggregator
from headwatch.types import FrameRecord

MIN_HABIT_S = 600.0  # 10 min monitored: less is a glance, not a habit
# Tilts and leans within this many degrees either way count as level: the landmarks' own jitter
# on a level person is about a degree, and a load that matters is several.
SIDE_DEAD_BAND_DEG = 1.5
# One side "dominates" when it holds at least this share of the judged time and twice the other's.
DOMINANT_SHARE = 0.5
HEAD_FORWARD_DEG = 5.0  # the head's change from the upright counted as "forward"
DRIFT_DEG = 3.0  # a rise of the head's mean change that counts as drifting
DRIFT_BINS_MIN = (0.0, 15.0, 30.0, 60.0, 120.0)  # minutes into a sitting
MIN_BIN_S = 300.0  # a stretch of the sitting needs this much judged time to be compared

# (metric, what it says when + dominates, when - dominates, what to change). Signs as the metrics
# define them: + when the person's left shoulder (ear) is lower, + leaning toward the person's left.
SIDES = (
    ("shoulder_tilt_deg", "your left shoulder sat lower", "your right shoulder sat lower",
     "sit square to the screen, both forearms supported at the same height"),
    ("head_roll_deg", "your head tilted toward your left shoulder", "your head tilted toward your right shoulder",
     "centre the screen, and what you read from, in front of you"),
    ("trunk_lean_deg", "you leaned to your left", "you leaned to your right",
     "sit back with your weight on both sides, and bring what you reach for to the middle"),
)


@dataclass(frozen=True, slots=True)
class Habit:
    name: str  # "side", "holding still", "sitting", "head forward"
    shown: bool  # False: too little time (or no measure) for this one; ``sentence`` says why
    sentence: str
    figures: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "shown": self.shown, "sentence": self.sentence, "figures": dict(self.figures)}


@dataclass(frozen=True, slots=True)
class Habits:
    monitored_s: float
    habits: tuple[Habit, ...]

    @property
    def enough(self) -> bool:
        return self.monitored_s >= MIN_HABIT_S

    def named(self, name: str) -> Habit:
        return next(h for h in self.habits if h.name == name)

    def to_json(self) -> dict[str, Any]:
        return {"monitored_s": round(self.monitored_s, 1), "min_monitored_s": MIN_HABIT_S,
                "habits": [h.to_json() for h in self.habits]}


def _moment(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60.0)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes} min"


def _exactly(seconds: float) -> str:
    """Time against a limit, never rounded up to it: 9m55s, not "10 min" of the 10 needed."""
    whole = int(seconds)
    return f"{whole // 60} min" if whole % 60 == 0 else f"{whole // 60}m{whole % 60:02d}s"


def _judged(interval: Mapping[str, Any]) -> float:
    return float(interval["ok_s"] + interval["bad_s"])


def find_habits(intervals: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]],
                reminders: Reminders | None = None) -> Habits:
    """The habits of the given intervals (one day, a week, a recording) and their events, with the
    reminders' limits (the defaults where None)."""
    reminders = reminders or Reminders()
    ordered = sorted(intervals, key=lambda i: _moment(i["started"]))
    monitored = sum(i["present_s"] for i in ordered)
    if monitored < MIN_HABIT_S:
        why = f"habits need {MIN_HABIT_S / 60:.0f} min monitored; this had {_exactly(monitored)}"
        return Habits(monitored, tuple(Habit(name, False, why) for name in
                                       ("side", "holding still", "sitting", "head forward")))
    found = sittings(ordered, reminders.break_min_s, unwatched_spans(events))
    return Habits(monitored, (_side(ordered), _holding_still(ordered, events, reminders),
                              _sitting(found, events, reminders), _head_forward(found)))


# -- one side -------------------------------------------------------------------------------------


def side_shares(intervals: Sequence[Mapping[str, Any]], metric: str) -> dict[str, float]:
    """Judged seconds with ``metric`` measured, the shares beyond the dead band on each side (+ is
    "left"), and the mean signed angle. Facing the camera only: the trunk's lean in profile is
    its forward lean, so it counts only where the shoulders' tilt (a front-view metric) was seen."""
    judged = left = right = weighted = 0.0
    for interval in intervals:
        medians = interval["medians"]
        if metric not in medians or "shoulder_tilt_deg" not in medians:
            continue
        weight, value = _judged(interval), float(medians[metric])
        judged += weight
        weighted += weight * value
        left += weight * (value > SIDE_DEAD_BAND_DEG)
        right += weight * (value < -SIDE_DEAD_BAND_DEG)
    if judged == 0:
        return {"judged_s": 0.0}
    return {"judged_s": judged, "left_share": left / judged, "right_share": right / judged,
            "mean_deg": weighted / judged}


def _side(intervals: Sequence[Mapping[str, Any]]) -> Habit:
    measured = {metric: side_shares(intervals, metric) for metric, *_ in SIDES}
    figures = {metric: {k: round(v, 3) for k, v in shares.items()} for metric, shares in measured.items()}
    front_s = max(shares["judged_s"] for shares in measured.values())
    if front_s < MIN_HABIT_S:
        return Habit("side", False, f"the side a person favours is measured facing the camera: "
                                    f"{_exactly(front_s)} of that here, {MIN_HABIT_S / 60:.0f} min needed", figures)
    leaning = []
    for metric, plus, minus, change in SIDES:
        shares = measured[metric]
        if shares["judged_s"] < MIN_HABIT_S:
            continue
        for share, other, said in ((shares["left_share"], shares["right_share"], plus),
                                   (shares["right_share"], shares["left_share"], minus)):
            if share >= DOMINANT_SHARE and share >= 2 * other:
                leaning.append((share, said, abs(shares["mean_deg"]), change, metric))
    if not leaning:
        return Habit("side", True, "No side dominates: your shoulders, head and trunk stayed level or "
                                   "balanced between left and right.", figures)
    share, said, degrees, change, metric = max(leaning)
    return Habit("side", True, f"{said[0].upper()}{said[1:]} {share:.0%} of the time ({degrees:.1f}° on average): "
                               f"one side carries more load. {change[0].upper()}{change[1:]}.",
                 {**figures, "dominant": metric})


# -- one position ---------------------------------------------------------------------------------


def holds(intervals: Sequence[Mapping[str, Any]]) -> list[float]:
    """The length of each stretch in one position: a hold grows from interval to interval (held_s at
    each close) and ends where it falls back or monitoring stopped between two intervals."""
    stretches: list[float] = []
    previous_held, previous_end = 0.0, None
    for interval in intervals:
        start = _moment(interval["started"])
        held = float(interval.get("held_s", 0.0))
        contiguous = previous_end is not None and abs((start - previous_end).total_seconds()) < 1.0
        if stretches and contiguous and 0 < previous_held <= held:
            stretches[-1] = held
        elif held > 0:
            stretches.append(held)
        previous_held, previous_end = held, start + datetime.timedelta(seconds=interval["seconds"])
    return stretches


def _holding_still(intervals: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]],
                   reminders: Reminders) -> Habit:
    stretches = holds(intervals)
    limit_s = reminders.still_for_min * 60.0
    longest = max(stretches, default=0.0)
    over = sum(s >= limit_s for s in stretches)
    reminded = sum(1 for e in events if e["kind"] == "still")
    figures = {"longest_s": round(longest, 1), "over_reminder": over, "reminder_min": reminders.still_for_min,
               "reminders": reminded}
    if not stretches:
        return Habit("holding still", False, "no stretch in one position was recorded (histories from before "
                                             "headwatch 0.2 do not hold them)", figures)
    if over == 0:
        return Habit("holding still", True, f"Your longest stretch in one position was {_minutes(longest)}, within "
                                            f"the {reminders.still_for_min:g}-min reminder.", figures)
    times = "once" if over == 1 else f"{over} times"
    return Habit("holding still", True, f"You held one position for up to {_minutes(longest)}, {times} past the "
                                        f"{reminders.still_for_min:g}-min reminder. Shift, stretch or stand up "
                                        "when it reminds you.", figures)


# -- sitting --------------------------------------------------------------------------------------


def _sitting(found: Sequence[Sitting], events: Sequence[Mapping[str, Any]], reminders: Reminders) -> Habit:
    seated = sum(s.present_s for s in found)
    longest = max((s.present_s for s in found), default=0.0)
    limit_s = reminders.break_after_min * 60.0
    over = sum(s.present_s >= limit_s for s in found)
    breaks = sum(sitting.after_break for sitting in found)
    reminded = sum(1 for e in events if e["kind"] == "break")
    figures = {"seated_s": round(seated, 1), "longest_s": round(longest, 1), "sittings": len(found),
               "over_reminder": over, "reminder_min": reminders.break_after_min, "breaks": breaks,
               "break_min_s": reminders.break_min_s, "reminders": reminded}
    what = (f"You sat {_minutes(seated)} in front of the camera, the longest stretch {_minutes(longest)} without "
            f"a {reminders.break_min_s / 60:g}-min break")
    if over == 0:
        return Habit("sitting", True, f"{what}, within the {reminders.break_after_min:g}-min reminder: good.", figures)
    return Habit("sitting", True, f"{what}; {over} of {len(found)} sittings ran past the "
                                  f"{reminders.break_after_min:g}-min reminder ({breaks} breaks taken). Stand up "
                                  "and walk for a few minutes when it reminds you.", figures)


# -- the head -------------------------------------------------------------------------------------


def _head_forward(found: Sequence[Sitting]) -> Habit:
    judged = forward = weighted = 0.0
    by_bin: dict[int, list[float]] = {}
    for sitting in found:
        for interval in sitting.intervals:
            change = interval["medians"].get("head_change_deg")
            weight = _judged(interval)
            if change is None or weight == 0:
                continue
            judged += weight
            forward += weight * (change > HEAD_FORWARD_DEG)
            weighted += weight * change
            minutes = (_moment(interval["started"]) - sitting.started).total_seconds() / 60.0
            number = max(n for n, edge in enumerate(DRIFT_BINS_MIN) if minutes >= edge)
            totals = by_bin.setdefault(number, [0.0, 0.0])
            totals[0] += weight
            totals[1] += weight * change
    if judged < MIN_HABIT_S:
        return Habit("head forward", False, "the head's change from your upright needs a learned reference or a "
                                            f"calibrated profile: {_exactly(judged)} of it here, "
                                            f"{MIN_HABIT_S / 60:.0f} min needed", {"judged_s": round(judged, 1)})
    means = {n: t[1] / t[0] for n, t in sorted(by_bin.items()) if t[0] >= MIN_BIN_S}
    figures: dict[str, Any] = {"judged_s": round(judged, 1), "forward_share": round(forward / judged, 3),
                               "mean_deg": round(weighted / judged, 2),
                               "by_minutes_seated": {f"{DRIFT_BINS_MIN[n]:g}": round(m, 2) for n, m in means.items()}}
    sentence = (f"Your head was forward of your upright (by more than {HEAD_FORWARD_DEG:g}°) "
                f"{forward / judged:.0%} of the time")
    drift = _drift(means)
    if drift is not None:
        after, rise = drift
        figures["drifts_after_min"] = after
        sentence += (f", and it drifts forward after about {after:g} min seated (+{rise:.0f}° against the first "
                     f"{DRIFT_BINS_MIN[1]:g} min). Stand up and reset before then, and raise the screen to eye level.")
    elif forward / judged >= 0.25:
        sentence += ". Bring the screen closer to eye level, and sit back against the chair."
    else:
        sentence += ": you carry it over your shoulders most of the time."
    return Habit("head forward", True, sentence, figures)


def _drift(means: Mapping[int, float]) -> tuple[float, float] | None:
    """(minutes seated, degrees) where the head's mean change first rises DRIFT_DEG above the start
    of a sitting; None where the data shows no drift or has no start to compare with."""
    if 0 not in means:
        return None
    for number, mean in means.items():
        if number > 0 and mean - means[0] >= DRIFT_DEG:
            return DRIFT_BINS_MIN[number], mean - means[0]
    return None


# -- a period, day by day ----------------------------------------------------------------------------


def within(rows: Sequence[Mapping[str, Any]], key: str, start: datetime.datetime,
           end: datetime.datetime) -> list[Mapping[str, Any]]:
    return [row for row in rows if start <= _moment(row[key]) < end]


def habits_by_day(intervals: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]], days: Sequence[str],
                  reminders: Reminders | None = None, zone: datetime.tzinfo | None = None) -> dict[str, Habits | None]:
    """Each day's habits (ISO date -> Habits; days from midnight in ``zone``, or in local time
    where None), None for a day without any monitoring."""
    found: dict[str, Habits | None] = {}
    for day in days:
        date = datetime.date.fromisoformat(day)
        start, end = local_midnight(date, zone), local_midnight(date + datetime.timedelta(days=1), zone)
        mine = within(intervals, "started", start, end)
        found[day] = find_habits(mine, within(events, "at", start, end), reminders) if mine else None
    return found


def glance_cell(name: str, habits: Habits | None) -> str:
    """One day's figure for one habit in the week at a glance."""
    if habits is None:
        return "no data"
    habit = habits.named(name)
    if not habit.shown:
        return "too little"
    figures = habit.figures
    if name == "side":
        metric = figures.get("dominant")
        if metric is None:
            return "level"
        shares = figures[metric]
        side = "L" if shares["left_share"] >= shares["right_share"] else "R"
        what = {"shoulder_tilt_deg": "shoulder", "head_roll_deg": "head", "trunk_lean_deg": "lean"}[metric]
        return f"{side} {what} {max(shares['left_share'], shares['right_share']):.0%}"
    if name == "holding still":
        return _minutes(figures["longest_s"])
    if name == "sitting":
        return _minutes(figures["seated_s"])
    return f"{figures['forward_share']:.0%}"


GLANCE_ROWS = (("side", "side favoured"), ("holding still", "longest hold"), ("sitting", "seated"),
               ("head forward", "head forward"))


def glance_table(by_day: Mapping[str, Habits | None]) -> list[list[str]]:
    """The week at a glance: a header row of days, then one row per habit."""
    header = ["", *(datetime.date.fromisoformat(d).strftime("%a %d") for d in by_day)]
    return [header, *([label, *(glance_cell(name, h) for h in by_day.values())] for name, label in GLANCE_ROWS)]


def format_habits(habits: Habits, by_day: Mapping[str, Habits | None] | None = None) -> str:
    """The terminal's habits section (and the week at a glance for a period of several days)."""
    lines = [f"habits (over {_minutes(habits.monitored_s)} monitored; named from {MIN_HABIT_S / 60:.0f} min)"]
    if not habits.enough:
        lines.append(f"  - {habits.habits[0].sentence}")
    else:
        lines += [f"  {h.name:<14}  {h.sentence if h.shown else '- (' + h.sentence + ')'}" for h in habits.habits]
    if by_day and len(by_day) > 1:
        table = glance_table(by_day)
        widths = [max(len(row[c]) for row in table) for c in range(len(table[0]))]
        lines.append("day by day")
        lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                  for row in table]
    return "\n".join(lines)


# -- a recording --------------------------------------------------------------------------------------


def recording_habits(records: Sequence[FrameRecord], reminders: Reminders | None = None,
                     away_reset_s: float = Alerts().away_reset_s) -> Habits:
    """A recording's habits over its own time (`analyze --report`): its looks gathered into the
    history's intervals, as the monitor would have recorded them, with no reminders' events."""
    reminders = reminders or Reminders()
    start = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)  # video time: the clock's date is no one's
    aggregator = IntervalAggregator(start, still_tolerance=reminders.still_tolerance, away_reset_s=away_reset_s)
    rows: list[dict[str, Any]] = []
    for record in records:
        seen = record.person
        closed = aggregator.add(record.t_s, record.verdict, record.sample if seen else None,
                                record.position if seen else None, record.head_change_deg if seen else None)
        rows += [interval.to_json() for interval in closed]
    last = aggregator.finish()
    if last is not None:
        rows.append(last.to_json())
    return find_habits(rows, [], reminders)
