"""The person's reference: what their posture is judged against. Pure.

Three sources, and the judge sees only the Limits they make:
- the absolute thresholds (assemble.absolute_limits), for anybody;
- a calibrated profile (`headwatch calibrate`), which always wins when selected;
- a reference learned from the person's own posture while headwatch runs (or, for a recording,
  from the recording itself): within one person the head metrics separate upright from slouched
  almost perfectly, while between people and camera set-ups the same numbers shift by 10-30
  degrees, so limits relative to the person's own upright posture carry over where absolute
  ones do not (docs/accuracy.md).

What is learned: among the frames of one view family, the half with the head carried highest
(upright sitting carries the head highest; slouching, leaning back and resting the head all lower
it), and of those the medians of the key metric, the head's height in the frame and the neck's
length. The key metric's reference is clamped to a plausible upright range, so that somebody who
starts slouched is not taught that slouching is upright; the absolute limits apply until a
reference is ready (from PROVISIONAL_S on tightened, never loosened, by a provisional reference of
what was seen so far) and to whatever it does not cover. A learned limit refines the absolute one
rather than replacing it: it may move it by at most CONFIDENT of its steps (``refine``).
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from headwatch.config.settings import Calibration
from headwatch.posture.judge import NECK_CHANGE_MIN, Anchor, Band, Limits, judge, neck_change
from headwatch.posture.metrics import front_head_change_deg
from headwatch.timeline.presence import MIN_GAP_S, PresenceClock
from headwatch.types import AlertEvent, EventKind, PostureSample, Reason, State, Verdict, View

Family = Literal["profile", "front"]
FAMILIES: tuple[Family, ...] = ("profile", "front")

# The metric a view family's head-forward verdict rests on, and which way is worse (+1: larger).
KEY_METRIC: Mapping[Family, tuple[str, int]] = {"profile": ("slouch_deg", 1), "front": ("ear_height_face_ratio", -1)}
# What a reference keeps per family (the key metric first).
REFERENCE_METRICS: Mapping[Family, tuple[str, ...]] = {
    "profile": ("slouch_deg", "head_forward_deg", "trunk_lean_deg", "ear_level", "neck_length", "shoulder_level",
                "neck_dx"),
    "front": ("ear_height_face_ratio", "head_forward_deg", "shoulder_tilt_deg", "head_roll_deg", "trunk_lean_deg",
              "ear_level", "neck_length", "shoulder_level", "neck_dx", "neck_angle_3d_deg"),
}
# The positions the head's drop is measured from (judge.Anchor); they move with the camera and
# the seat, and are re-learned on their own when those move.
POSITION_METRICS = ("ear_level", "neck_length", "shoulder_level", "neck_dx")
# Where an upright key metric can plausibly lie, over every person and camera of the development
# data (upright medians: slouch_deg 7-34, ear_height_face_ratio 1.41-1.66) with some room.
UPRIGHT_RANGE: Mapping[Family, tuple[float, float]] = {"profile": (0.0, 35.0), "front": (1.3, 1.9)}
UPRIGHT_SHARE = 0.3  # the share of frames, highest heads first, that the reference is taken from
MIN_FRAMES = 10
MAX_KEPT = 1500  # samples kept for learning and refreshing (at 1-5 fps: 5-25 minutes)
REFRESH_WEIGHT = 0.25  # how far one refresh moves the reference toward the recent upright posture
# A stored reference is for one camera set-up: a neck length this far (as a ratio) from the stored
# one means the camera or the distance changed, and the reference is learned anew.
SETUP_TOLERANCE = 1.35
# A margin never narrows below its configured value, and widens to this many robust standard
# deviations (1.4826 MAD) of the person's own upright samples: somebody whose upright posture
# wanders widely is not judged on a margin narrower than their own spread. bench/lopo.py, each
# person left out: the others choose 0-1.5; 1.5 keeps every person at or above their absolute-limit
# figure (mean 0.927 over seven people against 0.930 with none, 0.922 with 2 and 0.911 with 2.5).
SPREAD_MARGINS = 1.5
ROBUST_SD = 1.4826
# How far a learned limit may move the absolute one, in the absolute band's scale (assemble: 10
# degrees, 0.09 of the ear ratio, about the spread of people's upright values): beyond three of
# them the absolute limit sees with confidence, and a reference that says otherwise is not obeyed.
# Two were too few: a camera tilted down raises the ear ratio of desk-A's slumps above 1.53 on the
# scenario bench (2 of 8 slumps missed; with three, 8 of 8); bench/lopo.py is the same with or
# without the bound on all seven people.
CONFIDENT = 3.0
# The camera's view moved this far (frame heights, or a share of its scale) since the reference
# was learned or last moved with it: a set-up change (camera_motion.CameraTracker measures it).
CAMERA_MOVE = 0.03
CAMERA_CONFIRM_S = 5.0  # and stayed moved this long (presence): the tracker's jitter does not flap
# The whole body sat this many neck lengths higher or lower (as far as a sunk head must drop),
# its neck unchanged, for SEAT_CONFIRM_S of presence: the seat changed (a camera move looks the same
# where the background is hidden). Shifting about in the chair does not last that long one way.
SEAT_MOVE = 0.3
SEAT_CONFIRM_S = 15.0
SEAT_AGREEMENT = 0.8  # of the samples in that time
SEAT_STEADINESS = 0.08  # neck lengths: how much the body's height may wander over that time
# In profile, the body's scale in the frame (its neck's length) moved this share from the
# reference's for ZOOM_CONFIRM_S of presence, most samples one way, the key angle as upright:
# the camera zoomed (or the chair moved nearer or further) where the background tracker could not
# see it (a plain wall). A slump shortens the neck in the frame too, but brings the head forward.
ZOOM_MIN = 0.08
ZOOM_CONFIRM_S = 20.0
ZOOM_AGREEMENT = 0.8
# After a set-up change the person's angles are learned again from this much presence; the new
# key-metric reference may move at most one margin from the old (a slump then is not learned).
RELEARN_S = 60.0
# Nobody in view for this long (an alert's away_reset_s): whoever sits down next may be somebody
# else, or on another chair; the reference must be confirmed again, as at a session's start.
AWAY_RELEARN_S = 60.0
# "I'm sitting upright now": the reference is learned from this many seconds back (at least
# MIN_FRAMES samples, which at a calm sampling rate may reach further).
UPRIGHT_NOW_S = 20.0
# Judged bad for this long (presence), by the head's height alone, with every other metric within
# the person's limits: the positions are re-learned from the last RELEARN_S (the lock-in guard).
LOCKED_IN_S = 90.0
LOCKED_IN_SHARE = 0.9
# While the reference is still being learned (the first learn_min of a session), what was seen so
# far gives a provisional one after this much presence, learned again every PROVISIONAL_EVERY_S.
# It may only tighten the absolute limits (limits_tightened_by): a person who sits upright well
# under them has their slumps caught in the first minutes, and a start spent slumped, which
# teaches a slumped "upright", leaves the absolute limits as they are.
PROVISIONAL_S = 30.0
PROVISIONAL_EVERY_S = 10.0
# Its margin floors are this many times the configured ones: the first seconds understate how a
# person's upright posture wanders. bench/first_minutes.py (118 s of each development person's
# frames, upright from 0 s, slumped 35-55 s and 75-95 s), the seated man aside (his upright span
# holds head-forward moments): upright frames flagged after 30 s 12 of 288 on the absolute limits
# alone, 18 with the plain floors (desk-A's widely spread photos), 12 with these; slumped frames
# caught 173, 207 and 206 of 240. The seated man: 7, 24 and 21 of 48 upright frames flagged.
# Chosen leaving each person out (of 1-2.5), the others choose 1.5 for six of the seven (2.5 without
# desk-A).
PROVISIONAL_MARGIN = 1.5


def family_of(view: View | None) -> Family | None:
    if view is None:
        return None
    return "front" if view is View.FRONT else "profile"


@dataclass(frozen=True, slots=True)
class Reference:
    """A person's upright posture in one view family: metric name -> typical value, and how
    widely each wandered while upright (a robust standard deviation)."""

    family: Family
    values: Mapping[str, float]
    frames: int
    origin: str = "learned"  # "learned", or "profile NAME" for a calibrated one
    spreads: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"family": self.family, "values": {k: round(v, 4) for k, v in self.values.items()},
                "frames": self.frames, "origin": self.origin,
                "spreads": {k: round(v, 4) for k, v in self.spreads.items()}}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Reference:
        family = data["family"]
        if family not in FAMILIES:
            raise ValueError(f"unknown view family {family!r}")
        values = {str(k): float(v) for k, v in data["values"].items()}
        if KEY_METRIC[family][0] not in values:
            raise ValueError("the reference lacks its key metric")
        spreads = {str(k): float(v) for k, v in (data.get("spreads") or {}).items()}
        if not all(math.isfinite(v) for v in values.values()) or not all(
                math.isfinite(v) and v >= 0 for v in spreads.values()):
            raise ValueError("a value is not a finite number")
        return Reference(family, values, int(data["frames"]), str(data.get("origin", "learned")), spreads)

    def anchor(self) -> Anchor | None:
        """Where the head and shoulders sat upright, for the head's drop (None: not learned)."""
        v = self.values
        if "ear_level" not in v or v.get("neck_length", 0.0) <= 0:
            return None
        return Anchor(v["ear_level"], v["neck_length"], v.get("shoulder_level"), v.get("neck_dx"),
                      v.get("ear_height_face_ratio"))

    def shifted(self, dy: float) -> Reference:
        """The same posture with the whole body ``dy`` frame heights lower (a lowered seat)."""
        values = dict(self.values)
        for level in ("ear_level", "shoulder_level"):
            if level in values:
                values[level] += dy
        return replace(self, values=values)

    def head_change(self, sample: PostureSample | None) -> float | None:
        """Degrees the head came forward since this upright posture (negative: back); None for
        another view family or without the metrics it needs."""
        if sample is None or family_of(sample.view) != self.family:
            return None
        if self.family == "front":
            return front_head_change_deg(sample, self.values)
        upright = self.values.get("head_forward_deg")
        return None if upright is None or sample.head_forward_deg is None else sample.head_forward_deg - upright

    def describe(self) -> str:
        """e.g. ``profile: slouch_deg 21.63``."""
        key, _ = KEY_METRIC[self.family]
        return f"{self.family}: {key} {self.values[key]:.2f}"


def describe_learned(references: Mapping[Family, Reference]) -> str:
    """e.g. ``learned reference (profile: slouch_deg 21.63)``."""
    return "learned reference (" + ", ".join(r.describe() for r in references.values()) + ")"


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def learn_reference(samples: Sequence[PostureSample], family: Family, origin: str = "learned") -> Reference | None:
    """The upright reference of one view family from a person's samples, or None with too few."""
    key, _ = KEY_METRIC[family]
    usable = [s for s in samples if family_of(s.view) == family and getattr(s, key) is not None]
    if len(usable) < MIN_FRAMES:
        return None
    levels = sorted(s.ear_level for s in usable if s.ear_level is not None)
    upright = usable
    if len(levels) >= MIN_FRAMES:
        cut = levels[max(0, round(UPRIGHT_SHARE * len(levels)) - 1)]
        upright = [s for s in usable if s.ear_level is not None and s.ear_level <= cut]
    values: dict[str, float] = {}
    spreads: dict[str, float] = {}
    for metric in REFERENCE_METRICS[family]:
        seen = [float(v) for s in upright if (v := getattr(s, metric)) is not None]
        if len(seen) >= max(3, len(upright) // 2):
            values[metric] = statistics.median(seen)
            spreads[metric] = ROBUST_SD * statistics.median(abs(v - values[metric]) for v in seen)
    values[key] = _clamp(values[key], *UPRIGHT_RANGE[family])
    return Reference(family, values, len(upright), origin, spreads)


def refine(absolute: Band, upright: float, margin: float, worse: int, origin: str) -> Band:
    """The person's own limit (``upright`` + ``margin`` the worse way), questioned by the absolute
    one: it may move the absolute limit by at most CONFIDENT of that limit's scale (how far people
    differ), so no reference calls bad what the absolute limit sees as clearly fine, or fine what it
    sees as clearly bad. ``worse``: +1 when larger values are worse, -1 when smaller ones are."""
    limit = upright + worse * margin
    limit_abs = absolute.high if worse > 0 else absolute.low
    if math.isfinite(limit_abs):
        limit = _clamp(limit, limit_abs - CONFIDENT * absolute.scale, limit_abs + CONFIDENT * absolute.scale)
        if limit != upright + worse * margin:
            origin += f", held within {CONFIDENT:.0f} steps of the absolute limit"
    return Band(high=limit, scale=margin, origin=origin) if worse > 0 else Band(low=limit, scale=margin, origin=origin)


def limits_around_reference(reference: Reference, margins: Calibration, absolute: Limits, *,
                  relative_tilts: bool = False, provisional: bool = False) -> Limits:
    """Limits for the reference's view family around its values; the other family keeps ``absolute``.

    The head-forward limit and the sink limit move with the person; the other bands stay
    absolute unless ``relative_tilts`` (a calibrated profile, where the person held still and
    level on purpose: a learned reference must not learn a habitual tilt as normal). A learned
    reference refines the absolute head-forward limit, within bounds (``refine``); a calibrated
    profile replaces it (the person chose it on purpose). ``provisional``: a reference of the first
    seconds (limits_tightened_by), its head-forward margins' floors times PROVISIONAL_MARGIN.
    """
    base = reference.values
    learned = reference.origin == "learned"
    whose = ("your upright so far" if provisional else "your upright") if learned else f"{reference.origin}: upright"
    floor_scale = PROVISIONAL_MARGIN if provisional else 1.0

    def margin(metric: str, floor: float) -> float:
        return max(floor, SPREAD_MARGINS * reference.spreads.get(metric, 0.0))

    if reference.family == "profile":
        bands = dict(absolute.profile)
        upright = base["slouch_deg"]
        forward = margin("slouch_deg", floor_scale * margins.head_forward_margin_deg)
        origin = f"{whose} {upright:.0f}° + {forward:.0f}°"
        if learned:
            bands["slouch_deg"] = refine(absolute.profile["slouch_deg"], upright, forward, +1, origin)
        else:
            bands["slouch_deg"] = Band(high=upright + forward, scale=forward, origin=origin)
        if relative_tilts and "trunk_lean_deg" in base:
            lean = margin("trunk_lean_deg", margins.trunk_lean_margin_deg)
            bands["trunk_lean_deg"] = Band(high=base["trunk_lean_deg"] + lean, scale=lean,
                                           origin=f"{whose} {base['trunk_lean_deg']:.0f}° + {lean:.0f}°")
    else:
        bands = dict(absolute.front)
        ratio = base["ear_height_face_ratio"]
        ear_margin = margin("ear_height_face_ratio", floor_scale * ratio * margins.ear_height_margin)
        origin = f"{whose} {ratio:.2f} - {ear_margin / ratio:.0%}"
        if learned:
            bands["ear_height_face_ratio"] = refine(absolute.front["ear_height_face_ratio"], ratio, ear_margin, -1,
                                                    origin)
        else:
            bands["ear_height_face_ratio"] = Band(low=ratio - ear_margin, scale=ear_margin, origin=origin)
        if relative_tilts:
            for metric, floor in (("shoulder_tilt_deg", margins.shoulder_tilt_margin_deg),
                                  ("head_roll_deg", margins.head_roll_margin_deg),
                                  ("trunk_lean_deg", margins.trunk_lean_margin_deg)):
                if metric in base:
                    tilt = margin(metric, floor)
                    bands[metric] = Band(base[metric] - tilt, base[metric] + tilt, scale=tilt,
                                         origin=f"{whose} {round(base[metric]) + 0:+d}° ± {tilt:.0f}°")
    anchor = reference.anchor()
    if anchor is not None:
        # In neck lengths; the upright spread of the ears' height widens it like the other margins.
        sink = max(margins.sink_margin, SPREAD_MARGINS * reference.spreads.get("ear_level", 0.0) / anchor.neck_length)
        bands["head_drop"] = Band(high=sink, scale=sink, origin=f"{whose} height - {sink:.2f} necks")
    if reference.family == "profile":
        # The person's own upright posture decides standing or sitting alike (the absolute standing
        # limit scored lower against it, 0.839 against 0.854 standing, and a desk worker whose
        # hidden legs read as standing lost 0.06), and the hips out of view too: the reference
        # was learned from what the camera shows. Standing, only the margin narrows: a seated
        # person taken for standing loses 4.4 degrees of margin, not 16 of limit (on the
        # development data 2 of BAS's 47 photos and 6 of CWK's 255 are taken for standing, the
        # same with or without the faint-knee rule). The upright is one for both: a person who
        # learned it seated and then stands (or the reverse) is judged from that upright.
        standing = None
        if learned and absolute.standing is not None and "slouch_deg" in absolute.standing:
            # Standing slouches are smaller: the margin's floor shrinks as the absolute limit does
            # (20 against 36: 5.6 degrees for 10), the person's spread widening it as ever. One
            # fixed floor put a standing man's limit above most of his slouches (issue 28); on the
            # one standing development person it moved 0.843 to 0.846 (bench/lopo.py).
            seated_abs, standing_abs = absolute.profile["slouch_deg"], absolute.standing["slouch_deg"]
            share = standing_abs.high / seated_abs.high if 0 < seated_abs.high < math.inf else 1.0
            standing_forward = margin("slouch_deg", share * floor_scale * margins.head_forward_margin_deg)
            origin = f"{whose} {upright:.0f}° + {standing_forward:.0f}° standing"
            standing = {**absolute.standing, "slouch_deg": refine(standing_abs, upright, standing_forward, +1, origin)}
        return replace(absolute, profile=bands, anchor_profile=anchor, standing=standing, without_hips=None)
    return replace(absolute, front=bands, anchor_front=anchor)


def limits_for_references(references: Mapping[Family, Reference], margins: Calibration, absolute: Limits,
                          *, relative_tilts: bool = False) -> Limits:
    limits = absolute
    for reference in references.values():
        limits = limits_around_reference(reference, margins, limits, relative_tilts=relative_tilts)
    return limits


def limits_tightened_by(reference: Reference, margins: Calibration, absolute: Limits) -> Limits:
    """``absolute`` with the key metric's limits moved toward a provisional (learned so far)
    reference's, never away: for each of them the stricter of the absolute limit and the one around
    the reference. Only the key metric: the head's height waits for the reference proper, as the
    camera and the seat are still settling. The margin floors are widened (PROVISIONAL_MARGIN)."""
    own = limits_around_reference(reference, margins, absolute, provisional=True)

    def stricter(absolute_band: Band, own_band: Band) -> Band:
        if reference.family == "profile":
            return own_band if own_band.high < absolute_band.high else absolute_band
        return own_band if own_band.low > absolute_band.low else absolute_band

    key, _ = KEY_METRIC[reference.family]
    if reference.family == "front":
        return replace(absolute, front={**absolute.front, key: stricter(absolute.front[key], own.front[key])})
    # One own limit for sitting, standing and the hips out of view, its margin the seated one: the
    # standing margin's narrower floor (limits_around_reference) is for a reference learned over
    # learn_min; from the first seconds' spread it flagged the standing man's upright photos.
    own_band = own.profile[key]

    def tightened(bands: Mapping[str, Band]) -> Mapping[str, Band]:
        return {**bands, key: stricter(bands[key], own_band)} if key in bands else bands

    return replace(absolute, profile=tightened(absolute.profile),
                   standing=None if absolute.standing is None else tightened(absolute.standing),
                   without_hips=None if absolute.without_hips is None else tightened(absolute.without_hips))


def learn_references(samples: Sequence[PostureSample], origin: str = "learned") -> dict[Family, Reference]:
    """A reference per view family with enough frames (a recording, or a person's photos)."""
    found = {family: learn_reference(samples, family, origin) for family in FAMILIES}
    return {family: ref for family, ref in found.items() if ref is not None}


def same_setup(reference: Reference, samples: Sequence[PostureSample]) -> bool:
    """Whether samples of the reference's family look like the same camera set-up (neck length)
    and the same person sitting as they sat (the key metric within a margin: a stored reference is
    not forced on somebody else, or on a new chair)."""
    mine = [s for s in samples if family_of(s.view) == reference.family]
    key, _ = KEY_METRIC[reference.family]
    seen = [float(v) for s in mine if (v := getattr(s, key)) is not None]
    if seen and key in reference.values:
        base = reference.values[key]
        if abs(statistics.median(seen) - base) > relearn_bound(reference.family, base):
            return False
    stored = reference.values.get("neck_length")
    lengths = [s.neck_length for s in mine if s.neck_length]
    if stored is None or not lengths:
        return True
    ratio = statistics.median(lengths) / stored
    return 1.0 / SETUP_TOLERANCE <= ratio <= SETUP_TOLERANCE


@dataclass(slots=True)
class _FamilyState:
    """What the learner holds for one view family."""

    # (present time, sample, repeated: the last model look again on a still picture)
    kept: deque[tuple[float, PostureSample, bool]] = field(default_factory=lambda: deque(maxlen=MAX_KEPT))
    present_s: float = 0.0
    clock: PresenceClock = field(default_factory=PresenceClock)  # the learning time's
    refreshed_at: float = 0.0
    camera: tuple[float, float] = (0.0, 1.0)  # (dy, scale) of the view the reference is in
    relearn_at: float | None = None  # present time at which the angles are learned again
    relearn_from: float = 0.0
    seat_moves: deque[tuple[float, float]] = field(default_factory=deque)  # (present time, neck lengths)
    locked_bad: deque[tuple[float, bool]] = field(default_factory=deque)  # (present time, bad by height alone)
    recent: deque[tuple[float, PostureSample]] = field(default_factory=deque)  # every sample, RELEARN_S back
    positions_pending: bool = False  # after a camera move: the positions are being learned again
    camera_moves: list[tuple[float, float, float]] = field(default_factory=list)  # (present time, dy, scale)
    scale_moves: deque[tuple[float, float, float]] = field(default_factory=deque)  # (present time, scale, key)
    provisional_at: float = 0.0  # present time of the last provisional reference
    provisional_camera: tuple[float, float] = (0.0, 1.0)  # (dy, scale) of the view it was learned in


class ReferenceLearner:
    """Learns a reference per view family while the monitor runs, refreshes it slowly, and keeps
    it with the person when the set-up changes.

    Feed ``add(t_s, sample, verdict)`` in time order. A family's reference is ready after
    ``learn_s`` of presence in that family; after that only samples not judged bad are kept,
    so a long slouch cannot teach itself as upright, and every ``refresh_s`` the reference moves
    a quarter of the way toward the recent upright posture. A stored reference (``start``) is
    used as soon as the first samples confirm the same camera set-up, and learned anew if not.

    Set-up changes (``take_events`` gives them as ``setup_changed`` events):
    - the camera moved (the background says so, through the samples' camera_* fields, for
      CAMERA_CONFIRM_S): the positions and the angles are learned again over RELEARN_S, the
      head's height unjudged meanwhile;
    - the seat moved: for SEAT_CONFIRM_S the whole body sat higher or lower with its neck as it was;
    - locked in: for LOCKED_IN_S every sample was bad by the head's height alone while every
      other metric was within the person's limits: the positions are re-learned from the recent
      samples. A real slump bends the neck or brings the head forward, so it is never re-learned.
    """

    def __init__(self, learn_s: float, refresh_s: float, start: Mapping[Family, Reference] | None = None,
                 max_gap_s: float = MIN_GAP_S, ready: Mapping[Family, Reference] | None = None) -> None:
        self.learn_s = learn_s
        self.refresh_s = refresh_s
        self._pending = {f: r for f, r in (start or {}).items() if f not in (ready or {})}  # stored, not yet confirmed
        self._ready: dict[Family, Reference] = dict(ready or {})  # in use from the first sample (hindsight)
        self._provisional: dict[Family, Reference] = {}  # from what was seen so far, while learning
        self._state = {f: _FamilyState(clock=PresenceClock(max_gap_s)) for f in FAMILIES}
        self._events: list[AlertEvent] = []
        self.last_change: tuple[float, str] | None = None  # (t_s, cause) of the latest set-up change

    @property
    def references(self) -> Mapping[Family, Reference]:
        return dict(self._ready)

    @property
    def provisional(self) -> Mapping[Family, Reference]:
        """Per family still being learned, the reference of what was seen so far (PROVISIONAL_S)."""
        return {f: r for f, r in self._provisional.items() if f not in self._ready}

    def progress(self, family: Family) -> float:
        """Share of the learning time done for a family (1.0 once its reference is in use)."""
        if family in self._ready:
            return 1.0
        return min(1.0, self._state[family].present_s / self.learn_s) if self.learn_s > 0 else 1.0

    def relearning(self) -> bool:
        return any(st.relearn_at is not None for st in self._state.values())

    def take_events(self) -> list[AlertEvent]:
        events, self._events = self._events, []
        return events

    def add(self, t_s: float, sample: PostureSample | None, bad: bool, verdict: Verdict | None = None,
            repeated: bool = False) -> bool:
        """Take one sample; True when a family's reference became ready or changed. A ``repeated``
        sample (the picture held still: the last model look's again) counts like any (its time,
        the last minute's samples that a set-up change re-learns from), but the reference is
        learned and refreshed from the looks that ran the model (``_learnable``)."""
        family = family_of(sample.view) if sample is not None else None
        if sample is None or family is None:
            return False
        st = self._state[family]
        came_back = self.begin(t_s, sample)
        st.present_s += st.clock.tick(t_s)
        st.recent.append((st.present_s, sample))
        while st.recent[0][0] < st.present_s - RELEARN_S:
            st.recent.popleft()
        if family in self._ready:
            changed = self._follow_setup(family, t_s, sample, verdict)
            if not bad:
                st.kept.append((st.present_s, sample, repeated))
            return self._maybe_relearn(family) or self._maybe_refresh(family) or changed
        st.kept.append((st.present_s, sample, repeated))
        st.camera = _camera_of(sample)
        if family in self._pending and len(st.kept) >= MIN_FRAMES:
            stored = self._pending.pop(family)
            if same_setup(stored, [s for _, s, _ in st.kept]):
                self._ready[family] = stored
                self._provisional.pop(family, None)
                st.refreshed_at = st.present_s
                return True
        if st.present_s < self.learn_s:
            return self._maybe_provisional(family) or came_back  # came back: the absolute limits again
        learned = learn_reference(_learnable(st.kept), family)
        if learned is None:
            return False
        self._ready[family] = learned
        self._provisional.pop(family, None)
        st.refreshed_at = st.present_s
        return True

    def _maybe_provisional(self, family: Family) -> bool:
        """While learning: a provisional reference from what was seen so far in the camera's
        present view, once that spans PROVISIONAL_S of presence and again every
        PROVISIONAL_EVERY_S (``begin`` drops it when the camera moves). A stored reference
        awaiting confirmation is used or dropped at MIN_FRAMES, before one can be learned here.
        Learned over the time seen, the looks that rested the model too: the reference proper
        leaves those out (_learnable), but over the first minutes, whose upright share is small,
        leaving them out made it hang on how still the person sat (on the demo clip it moved the
        end of the alert by a look). True when it changed."""
        st = self._state[family]
        if not st.kept or st.present_s < PROVISIONAL_S or (
                family in self._provisional and st.present_s - st.provisional_at < PROVISIONAL_EVERY_S):
            return False  # checked first: the scan below would run on every look of the first minutes
        camera = _camera_of(st.kept[-1][1])
        in_view = [entry for entry in st.kept if _same_view(camera, _camera_of(entry[1]))]
        if st.present_s - in_view[0][0] < PROVISIONAL_S:
            return False
        learned = learn_reference([s for _, s, _ in in_view], family)
        if learned is None:
            return False
        self._provisional[family] = learned
        st.provisional_at, st.provisional_camera = st.present_s, camera
        return True

    def _changed(self, family: Family, t_s: float, cause: str, values: Mapping[str, float]) -> None:
        self._events.append(AlertEvent(EventKind.SETUP_CHANGED, t_s, t_s, values=dict(values), cause=cause))
        self.last_change = (t_s, cause)
        st = self._state[family]
        if cause == "camera":
            # A camera sees the angles differently from another place: learned again. So are the
            # positions: the background tracker that carried them over can be wrong where the
            # person fills the frame, and a false "sunk" is what a moved camera must not cause.
            self._forget_positions(family)
        st.seat_moves.clear()
        st.locked_bad.clear()
        st.scale_moves.clear()

    def _follow_setup(self, family: Family, t_s: float, sample: PostureSample, verdict: Verdict | None) -> bool:
        st, reference = self._state[family], self._ready[family]
        dy, scale = _camera_of(sample)
        old_dy, old_scale = st.camera
        moved = abs(dy - old_dy) >= CAMERA_MOVE or abs(scale / old_scale - 1.0) >= CAMERA_MOVE
        if not moved:
            st.camera_moves.clear()
        else:
            st.camera_moves.append((st.present_s, dy, scale))
            if st.present_s - st.camera_moves[0][0] >= CAMERA_CONFIRM_S:
                # A move that stayed (not the tracker's jitter about a threshold): see _changed.
                dy = statistics.median(m[1] for m in st.camera_moves)
                scale = statistics.median(m[2] for m in st.camera_moves)
                st.camera = (dy, scale)
                st.camera_moves.clear()
                self._changed(family, t_s, "camera", {"camera_dy": dy - old_dy, "camera_scale": scale / old_scale})
                return True
        if self._follow_body_scale(family, t_s, sample):
            return True
        anchor = reference.anchor()
        if anchor is None or sample.ear_level is None or sample.shoulder_level is None:
            return False
        return self._follow_seat(family, t_s, sample, anchor) or self._guard_lock_in(family, t_s, sample, verdict)

    def _follow_body_scale(self, family: Family, t_s: float, sample: PostureSample) -> bool:
        """A zoom the background could not show, told by the body's own scale (see ZOOM_MIN)."""
        st, reference = self._state[family], self._ready[family]
        key, _ = KEY_METRIC[family]
        base, angle = reference.values.get("neck_length"), getattr(sample, key)
        if family != "profile" or not base or sample.neck_length is None or angle is None:
            return False
        st.scale_moves.append((st.present_s, sample.neck_length / base, angle))
        while st.scale_moves and st.scale_moves[0][0] < st.present_s - ZOOM_CONFIRM_S:
            st.scale_moves.popleft()
        if st.present_s - st.scale_moves[0][0] < ZOOM_CONFIRM_S * 0.9:
            return False
        scales = [m[1] for m in st.scale_moves]
        scale = statistics.median(scales)
        one_way = sum((m - 1.0) * (scale - 1.0) > 0 for m in scales)
        if abs(scale - 1.0) < ZOOM_MIN or one_way < ZOOM_AGREEMENT * len(scales):
            return False
        if abs(statistics.median(m[2] for m in st.scale_moves) - reference.values[key]) > \
                relearn_bound(family, reference.values[key]):
            return False  # the head came forward too: a slump, not a zoom
        st.scale_moves.clear()
        self._changed(family, t_s, "camera", {"camera_scale": scale})
        return True

    def _follow_seat(self, family: Family, t_s: float, sample: PostureSample, anchor: Anchor) -> bool:
        st = self._state[family]
        assert sample.ear_level is not None and sample.shoulder_level is not None
        ear_move = (sample.ear_level - anchor.ear_level) / anchor.neck_length
        change = neck_change(sample, anchor)
        rigid = change is not None and change < NECK_CHANGE_MIN and abs(ear_move) >= SEAT_MOVE
        st.seat_moves.append((st.present_s, ear_move if rigid else math.nan))
        while st.seat_moves and st.seat_moves[0][0] < st.present_s - SEAT_CONFIRM_S:
            st.seat_moves.popleft()
        if st.present_s - st.seat_moves[0][0] < SEAT_CONFIRM_S * 0.9:
            return False
        moves = [m for _, m in st.seat_moves if not math.isnan(m)]
        if len(moves) < SEAT_AGREEMENT * len(st.seat_moves) or min(moves) * max(moves) <= 0:
            return False  # not steadily one way: shifting in the chair, not a new seat height
        if statistics.pstdev(moves) > SEAT_STEADINESS:
            return False  # a seat is one height: wandering up and down is the person moving
        dy = statistics.median(moves) * anchor.neck_length
        self._ready[family] = self._ready[family].shifted(dy)
        self._changed(family, t_s, "seat", {"seat_dy": dy})
        return True

    def _guard_lock_in(self, family: Family, t_s: float, sample: PostureSample, verdict: Verdict | None) -> bool:
        st = self._state[family]
        if verdict is None or verdict.state not in (State.OK, State.BAD):
            return False
        by_height_alone = verdict.state is State.BAD and set(verdict.reasons) == {Reason.SUNK}
        st.locked_bad.append((st.present_s, by_height_alone))
        while st.locked_bad and st.locked_bad[0][0] < st.present_s - LOCKED_IN_S:
            st.locked_bad.popleft()
        if st.present_s - st.locked_bad[0][0] < LOCKED_IN_S * 0.95:
            return False
        if sum(b for _, b in st.locked_bad) < LOCKED_IN_SHARE * len(st.locked_bad):
            return False
        learned = learn_reference([s for _, s in st.recent], family)
        if learned is None:
            return False
        values = dict(self._ready[family].values)
        values.update({k: v for k, v in learned.values.items() if k in POSITION_METRICS})
        self._ready[family] = replace(self._ready[family], values=values)
        self._changed(family, t_s, "relearned", {"ear_level": values.get("ear_level", math.nan)})
        return True

    def upright_now(self, t_s: float) -> list[Family]:
        """The person says they sit upright now: each family seen lately learns its reference from
        the last UPRIGHT_NOW_S of samples, replacing the one in use (a ``setup_changed`` event,
        cause "you"). Returns the families re-learned (none: too few samples yet)."""
        done: list[Family] = []
        for family, st in self._state.items():
            recent = [s for at, s in st.recent if at >= st.present_s - UPRIGHT_NOW_S]
            if len(recent) < MIN_FRAMES:
                recent = [s for _, s in list(st.recent)[-MIN_FRAMES:]]
            learned = learn_reference(recent, family)
            if learned is None:
                continue
            self._pending.pop(family, None)
            self._ready[family] = learned
            st.refreshed_at, st.relearn_at, st.positions_pending = st.present_s, None, False
            st.camera = _camera_of(recent[-1])
            st.kept.clear()
            st.kept.extend((st.present_s, s, False) for s in recent)
            self._changed(family, t_s, "you", {"key_metric": learned.values[KEY_METRIC[family][0]]})
            done.append(family)
        return done

    def begin(self, t_s: float, sample: PostureSample | None) -> bool:
        """Call before judging ``sample`` (``add`` calls it too): the first sample after a long
        absence in its view family ends the reference in use (_after_absence), or the learning;
        a camera moved since a provisional reference was learned drops it (a tilted lid changes
        the head's angles, not the posture). True when the limits change."""
        family = family_of(sample.view) if sample is not None else None
        if sample is None or family is None:
            return False
        st = self._state[family]
        moved = family in self._provisional and not _same_view(_camera_of(sample), st.provisional_camera)
        if moved:
            del self._provisional[family]
        last = st.clock.last_t
        if last is None or t_s - last < AWAY_RELEARN_S:
            return moved
        if family in self._ready:
            self._after_absence(family)
            return True
        # Still learning: whoever sits down is learned afresh, never from the one before.
        had_provisional = family in self._provisional
        self._restart_learning(family)
        return had_provisional or moved

    def _after_absence(self, family: Family) -> None:
        """Back after a long absence, maybe somebody else, maybe on another chair: as at the start
        of a session, the reference is a stored one again, used once the first samples show the
        same set-up and the same person's upright posture, and learned anew if not (the absolute
        limits apply meanwhile, never the previous person's)."""
        self._pending[family] = self._ready.pop(family)
        self._restart_learning(family)

    def _restart_learning(self, family: Family) -> None:
        """Learning starts again from nothing, as at a session's start."""
        self._provisional.pop(family, None)
        st = self._state[family]
        st.kept.clear()
        st.present_s, st.refreshed_at, st.relearn_at, st.positions_pending = 0.0, 0.0, None, False
        st.provisional_at, st.provisional_camera = 0.0, (0.0, 1.0)
        st.clock.restart()  # presence counts afresh, as at a session's start
        st.seat_moves.clear()
        st.locked_bad.clear()
        st.camera_moves.clear()
        st.scale_moves.clear()

    def _forget_positions(self, family: Family) -> None:
        """The head's height is not judged until the positions are learned again over RELEARN_S;
        then the angles are re-learned too, within a margin."""
        st = self._state[family]
        old = self._ready[family]
        self._ready[family] = replace(old, values={k: v for k, v in old.values.items() if k not in POSITION_METRICS})
        st.relearn_at, st.relearn_from, st.positions_pending = st.present_s + RELEARN_S, st.present_s, True

    def _maybe_relearn(self, family: Family) -> bool:
        """After a camera move: the positions and the angles from what was seen since, the key
        metric at most a margin away."""
        st = self._state[family]
        if st.relearn_at is None or st.present_s < st.relearn_at:
            return False
        st.relearn_at = None
        fresh = learn_reference([s for at, s in st.recent if at >= st.relearn_from], family)
        if fresh is None:
            return False
        old = self._ready[family]
        key, _ = KEY_METRIC[family]
        relearned = {k: v for k, v in fresh.values.items() if st.positions_pending or k not in POSITION_METRICS}
        st.positions_pending = False
        values = {**old.values, **relearned}
        # The same person through a new camera: at most a margin, so a slump is not learned.
        bound = relearn_bound(family, old.values[key])
        values[key] = _clamp(fresh.values[key], old.values[key] - bound, old.values[key] + bound)
        self._ready[family] = replace(old, values=values, spreads={**old.spreads, **fresh.spreads})
        st.refreshed_at = st.present_s
        return True

    def _maybe_refresh(self, family: Family) -> bool:
        st = self._state[family]
        if st.present_s - st.refreshed_at < self.refresh_s:
            return False
        st.refreshed_at = st.present_s
        fresh = learn_reference(_learnable(st.kept), family)
        if fresh is None:
            return False
        old = self._ready[family]
        values = {k: v + REFRESH_WEIGHT * (fresh.values[k] - v) if k in fresh.values else v
                  for k, v in old.values.items()}
        key, _ = KEY_METRIC[family]
        values[key] = _clamp(values[key], *UPRIGHT_RANGE[family])
        self._ready[family] = Reference(family, values, old.frames + fresh.frames, old.origin, old.spreads)
        return True


def learn_in_hindsight(samples: Sequence[tuple[float, PostureSample, bool]], learn_s: float,
                       max_gap_s: float = MIN_GAP_S) -> dict[Family, Reference]:
    """For a complete recording, ``(t_s, sample, repeated)`` in time order (``repeated``: the last
    model look again on a still picture): a reference per view family seen for less presence than
    ``learn_s`` (the monitor would still be learning at its end), learned from the recording's
    first set-up, i.e. before the camera's view moved by CAMERA_MOVE from the first look's (a
    reference is for one set-up; after a move the learner learns again as the monitor does), from
    the looks that ran the model as the monitor learns (_learnable). A family seen for ``learn_s``
    or more is left to be learned forward in time, as the monitor learns it."""
    found: dict[Family, Reference] = {}
    for family in FAMILIES:
        mine = [(t, s, repeated) for t, s, repeated in samples if family_of(s.view) == family]
        if not mine:
            continue
        clock, present = PresenceClock(max_gap_s), 0.0
        for t, _, _ in mine:
            present += clock.tick(t)
        if present >= learn_s:
            continue
        first = _camera_of(mine[0][1])
        first_setup = []
        for entry in mine:
            if not _same_view(first, _camera_of(entry[1])):
                break
            first_setup.append(entry)
        reference = learn_reference(_learnable(first_setup), family)
        if reference is not None:
            found[family] = reference
    return found


# How far a re-learn after a set-up change may move the key metric's reference: the default
# margins (degrees in profile; a share of the ear ratio facing the camera).
RELEARN_BOUND: Mapping[Family, float] = {"profile": 10.0, "front": 0.06}


def _learnable(kept: Iterable[tuple[float, PostureSample, bool]]) -> list[PostureSample]:
    """What a reference is learned from: the looks that ran the model, as the typical posture over
    what was seen (one look repeated through a still minute would outweigh the rest, and moved
    desk-A's reference on the scenario bench enough to miss a slump); the repeats too only where
    the model ran fewer than MIN_FRAMES times, a picture so still that they are what was there."""
    looked = [s for _, s, repeated in kept if not repeated]
    return looked if len(looked) >= MIN_FRAMES else [s for _, s, _ in kept]


def relearn_bound(family: Family, base: float) -> float:
    """How far from ``base`` a key metric may be re-learned, in its own units."""
    return RELEARN_BOUND[family] * base if family == "front" else RELEARN_BOUND[family]


def _camera_of(sample: PostureSample) -> tuple[float, float]:
    """(dy, scale) of the camera's move since the first look; none known: none."""
    return (sample.camera_dy or 0.0, sample.camera_scale or 1.0)


def _same_view(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Two (dy, scale) camera views closer than CAMERA_MOVE: one set-up."""
    return abs(a[0] - b[0]) < CAMERA_MOVE and abs(a[1] / b[1] - 1.0) < CAMERA_MOVE


def _head_change(references: Mapping[Family, Reference], sample: PostureSample | None) -> float | None:
    family = family_of(sample.view) if sample is not None else None
    reference = references.get(family) if family is not None else None
    return reference.head_change(sample) if reference is not None else None


class LearningJudge:
    """Judges with the absolute limits until the learner has a reference (tightened meanwhile by a
    provisional one: limits_tightened_by), then around it."""

    def __init__(self, learner: ReferenceLearner, margins: Calibration, absolute: Limits,
                 on_change: Callable[[Mapping[Family, Reference]], None] | None = None) -> None:
        self.learner = learner
        self.margins = margins
        self.absolute = absolute
        self.on_change = on_change  # e.g. store the reference, so that the next session starts from it
        self.tightened = False  # a provisional reference tightened a limit (said in describe)
        self.limits = self._limits()

    def _limits(self) -> Limits:
        """Around the learned references; a family still learning: the absolute limits, tightened
        by what was seen so far (limits_tightened_by)."""
        learned = limits_for_references(self.learner.references, self.margins, self.absolute)
        limits = learned
        for reference in self.learner.provisional.values():
            limits = limits_tightened_by(reference, self.margins, limits)
        self.tightened = limits != learned
        return limits

    def __call__(self, t_s: float, sample: PostureSample | None, repeated: bool = False) -> Verdict:
        if self.learner.begin(t_s, sample):  # back after a long absence: not against the one before
            self.limits = self._limits()
        verdict = judge(sample, self.limits)
        before = self.learner.references  # a copy already
        if self.learner.add(t_s, sample, bad=verdict.state is State.BAD, verdict=verdict, repeated=repeated):
            self.limits = self._limits()
            if self.on_change is not None and self.learner.references != before:
                self.on_change(self.learner.references)
        return verdict

    def take_events(self) -> list[AlertEvent]:
        return self.learner.take_events()

    def upright_now(self, t_s: float) -> str:
        """Re-learn the reference from the last seconds (the person says they sit upright); what
        happened, in a line."""
        families = self.learner.upright_now(t_s)
        if not families:
            return "too few looks at you yet to learn from: sit upright a little longer and ask again"
        self.limits = self._limits()
        if self.on_change is not None:
            self.on_change(self.learner.references)
        return "your upright posture is learned again from the last seconds"

    def head_change(self, sample: PostureSample | None) -> float | None:
        return _head_change(self.learner.references, sample)

    def describe(self) -> str:
        refs = self.learner.references
        if refs:
            text = describe_learned(refs)
            change = self.learner.last_change
            if change is not None and self.learner.relearning():
                text += f"; set-up changed ({change[1]}) at {change[0]:.0f} s: re-learning"
            return text
        progress = max(self.learner.progress(f) for f in FAMILIES)
        tightened = ", tightened by your posture so far" if self.tightened else ""
        return f"absolute limits{tightened} (learning your upright posture: {progress:.0%})"


class FixedJudge:
    """Judges with fixed limits: absolute thresholds or a calibrated profile."""

    def __init__(self, limits: Limits, description: str, references: Mapping[Family, Reference] | None = None) -> None:
        self.limits = limits
        self.description = description
        self.references = dict(references or {})  # a calibrated profile's upright, if any

    def __call__(self, t_s: float, sample: PostureSample | None, repeated: bool = False) -> Verdict:
        return judge(sample, self.limits)

    def take_events(self) -> list[AlertEvent]:
        return []

    def head_change(self, sample: PostureSample | None) -> float | None:
        return _head_change(self.references, sample)

    def upright_now(self, t_s: float) -> str:
        return f"nothing re-learned: posture is judged against {self.description}, not a learned reference"

    def describe(self) -> str:
        return self.description
