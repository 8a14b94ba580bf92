"""The eval use case: score headwatch's measurements and judgement against labelled photos and
videos (per person or session with ``group_by``), or against rendered people with known angles."""

from __future__ import annotations

import logging
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from headwatch.app.assemble import ReferenceChoice
from headwatch.config.settings import Settings
from headwatch.errors import UsageError
from headwatch.evaluation.evaluate import EvalReport, ScoredFrame
from headwatch.types import SCHEMA

log = logging.getLogger("headwatch")


def group_of(path: Path, root: Path, level: int | None) -> str:
    """The ``level``-th folder under the dataset root that holds the file (the person or session)."""
    if level is None:
        return "all"
    parts = path.relative_to(root).parts[:-1]
    return parts[level - 1] if len(parts) >= level else "(top)"


@dataclass(frozen=True, slots=True)
class EvalRequest:
    dataset: Path
    settings: Settings
    choice: ReferenceChoice
    labels: list[str] = field(default_factory=list)  # NAME=good or NAME=bad
    group_by: int | None = None
    jobs: int | None = None
    cluster: str | None = None


@dataclass(frozen=True, slots=True)
class EvalResult:
    request: EvalRequest
    report: EvalReport
    groups: dict[str, EvalReport]
    failed: list[str]  # files left out of the figures, each said as it was found

    def text(self) -> str:
        from headwatch.evaluation.evaluate import format_groups, format_report

        learns = self.request.choice.mode == "auto"
        lines = [format_report(self.report),
                 f"judged against      {self.request.choice.describe()}"
                 + (" (per group)" if learns and self.request.group_by else "")]
        if self.request.group_by is not None:
            lines += ["", format_groups(self.groups)]
        return "\n".join(lines)

    def document(self) -> dict[str, Any]:
        from headwatch.evaluation.evaluate import spread_of

        document: dict[str, Any] = {"schema": SCHEMA, **self.report.to_json(),
                                    "reference": self.request.choice.describe()}
        if self.request.group_by is not None:
            document["groups"] = {name: r.to_json() for name, r in self.groups.items()}
            document["spread"] = spread_of(self.groups)
        document["errors"] = self.failed
        return document


def evaluate_dataset(request: EvalRequest) -> EvalResult:
    """Measure every labelled file (here, in worker processes or on a cluster) and score it. A
    damaged file is said and left out of the figures; a dataset with nothing labelled in it is a
    HeadwatchError, options that cannot be a UsageError."""
    from headwatch.app.assemble import limits_for
    from headwatch.app.context import check_cluster, stay_offline
    from headwatch.app.executors import MeasureTask, make_executor, measure_all
    from headwatch.app.pipeline import judge_against_own_reference
    from headwatch.app.recording import judge_recording
    from headwatch.evaluation.datasets import DatasetError, find_dataset, parse_label_options
    from headwatch.evaluation.evaluate import AlertScore, evaluate, score_alerts
    from headwatch.types import FrameRecord
    from headwatch.vision.models import load_model

    check_cluster(request.cluster)
    if not request.cluster:
        stay_offline()  # local files only: MediaPipe's telemetry must not get out
    try:
        labels = parse_label_options(request.labels)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings, choice, dataset, group_by = request.settings, request.choice, request.dataset, request.group_by
    limits = limits_for(settings, choice.profile)
    failed: list[str] = []
    frames: dict[str, list[ScoredFrame]] = {}
    alert_scores: dict[str, list[AlertScore]] = {}
    data = find_dataset(dataset, labels)
    if group_by is not None:
        paths = [i.path for i in data.images] + [v.path for v in data.videos]
        deepest = max((len(path.relative_to(dataset).parts) - 1 for path in paths), default=0)
        if group_by > deepest:
            raise UsageError(f"--group-by {group_by}: the files lie at most {deepest} folder"
                             f"{'s' if deepest != 1 else ''} below {dataset}; give 1 to {max(deepest, 1)}")
    tasks = [MeasureTask(image.path, "image", settings.capture.analyze_fps, settings.capture.model, limits)
             for image in data.images]
    tasks += [MeasureTask(video.path, "video", settings.capture.analyze_fps, settings.capture.model, limits)
              for video in data.videos]
    load_model(settings.capture.model)  # a missing or damaged model: one line before any work
    with closing(make_executor(request.jobs, request.cluster, tasks)) as executor:
        measured = {result.task.path: result for result in measure_all(executor, tasks)}
    for result in measured.values():  # a damaged file is one line, and left out of the figures
        if result.error is not None:
            failed.append(result.error)
            log.error(result.error)
    photos: dict[str, list[tuple[bool, FrameRecord]]] = {}
    for image in data.images:
        if measured[image.path].error is not None:
            continue
        (record,) = measured[image.path].records
        photos.setdefault(group_of(image.path, dataset, group_by), []).append((image.bad, record))
    for group, labelled in photos.items():
        records = [record for _, record in labelled]
        if choice.mode == "auto":  # the group's photos teach its reference, as a monitor's first minutes would
            records, _ = judge_against_own_reference(records, [r.sample for r in records if r.person],
                                                     settings.calibration, limits)
        frames.setdefault(group, []).extend(
            ScoredFrame(bad, r.person, r.verdict.state, r.sample) for (bad, _), r in zip(labelled, records,
                                                                                        strict=True))
    for video in data.videos:
        group = group_of(video.path, dataset, group_by)
        result = measured[video.path]
        if result.error is not None:
            continue
        judged = judge_recording(result.records, settings, choice, result.read_s)
        for record in judged.records:
            bad = video.label_at(record.t_s)
            if bad is not None:
                frames.setdefault(group, []).append(ScoredFrame(bad, record.person, record.verdict.state,
                                                                record.sample))
        alert_scores.setdefault(group, []).append(score_alerts(video.spans, judged.alerts))
    if not frames:
        raise DatasetError(f"{dataset}: no frame fell inside a labelled span or folder")
    pooled = [f for group_frames in frames.values() for f in group_frames]
    report = evaluate(pooled, [s for scores in alert_scores.values() for s in scores],
                      {"images": len(data.images), "videos": len(data.videos)})
    groups = {name: evaluate(group_frames, alert_scores.get(name, [])) for name, group_frames in sorted(frames.items())}
    return EvalResult(request, report, groups, failed)


def is_render_set(dataset: Path) -> bool:
    """Rendered people (tools/synth_render.py) carry their true angles in truth.json."""
    return (dataset / "truth.json").is_file()


@dataclass(frozen=True, slots=True)
class RenderResult:
    renders: int
    found: int
    errors: list[Any]  # evaluation.renders.MetricError

    def text(self) -> str:
        from headwatch.evaluation.renders import format_render_report

        return format_render_report(self.found, self.renders, self.errors)

    def document(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "renders": self.renders, "detection_rate": round(self.found / self.renders, 4),
                "errors": [e.to_json() for e in self.errors]}


def evaluate_renders(root: Path, settings: Settings) -> RenderResult:
    """Error in degrees against exactly known angles, raw and from each scene's neutral render."""
    from headwatch.app.context import stay_offline
    from headwatch.app.pipeline import observe
    from headwatch.evaluation.renders import read_renders, render_errors
    from headwatch.vision.pose import PoseEstimator
    from headwatch.vision.sources import read_image

    stay_offline()
    renders = read_renders(root)
    with PoseEstimator(settings.capture.model, mode="image") as detector:
        measured = {render.file: observe(read_image(root / render.file), detector).sample for render in renders}
    found = sum(1 for sample in measured.values() if sample is not None)
    return RenderResult(len(renders), found, render_errors(renders, measured))

