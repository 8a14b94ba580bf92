"""How often the monitor looks: the full rate while posture matters, a calm rate otherwise. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from headwatch.config.settings import Capture, ConfigError, check_fields
from headwatch.timeline.alerts import AlertEngine
from headwatch.types import State

_CAPTURE = Capture()


@dataclass(frozen=True, slots=True)
class SamplingPolicy:
    """How often to look.

    The full rate while posture matters: an alert is on, or a bad stretch may be building (at
    least ``busy_share`` of the recent judged samples were bad), or the session is young. The
    calm rate otherwise: posture has been mostly good for ``calm_after_s``, or nobody is there.
    That is most of a working day, and where the CPU is saved; single stray bad frames do not
    wake it up, as they cannot make an alert either.
    """

    fps: float = _CAPTURE.fps  # the defaults, declared once in config/settings.py
    calm_fps: float = _CAPTURE.calm_fps
    calm_after_s: float = _CAPTURE.calm_after_s
    busy_share: float = 0.3

    def __post_init__(self) -> None:
        check_fields(self, ("capture",))
        if not 0 < self.busy_share <= 1:
            raise ConfigError(f"SamplingPolicy: busy_share: expected a share above 0 up to 1, "
                              f"found {self.busy_share!r}")

    def interval_s(self, engine: AlertEngine, last_state: State | None) -> float:
        calm = 1.0 / min(self.calm_fps, self.fps)
        if last_state is State.AWAY:
            return calm
        if (engine.in_bad_posture or engine.recent_bad_share >= self.busy_share
                or engine.present_s < self.calm_after_s or last_state in (None, State.UNKNOWN)):
            return 1.0 / self.fps
        return calm
