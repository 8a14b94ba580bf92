"""`headwatch eval`: score the judgement against labelled photos and videos."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from headwatch.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOption,
    ModelOption,
    ProfileOption,
    fail,
    load_settings,
    select_profile,
)
from headwatch.errors import HeadwatchError


def eval_command(
    dataset: Annotated[Path, typer.Argument(help="Folder of labelled images (good/ poor/ ...) and/or videos with a "
                                                 "spans CSV beside each.", show_default=False)],
    label: Annotated[list[str] | None, typer.Option(
        "--label", help="Map a folder or span label: NAME=good or NAME=bad (repeatable), e.g. "
                        "isSlouching=bad.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead of the text.")] = False,
    fps: Annotated[float | None, typer.Option(
        min=0.1, max=120.0, help="Frames per second sampled from videos. (default: 5)")] = None,
    model: ModelOption = None,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Score headwatch on labelled footage: detection, AUC per head-forward metric, the judgement's
    confusion matrix, sensitivity, specificity and balanced accuracy, and for videos the alert
    onset delay and the false alerts per hour."""
    from headwatch.alerts import AlertEngine
    from headwatch.assemble import alert_settings, limits_for
    from headwatch.cli.analyze import measure_video
    from headwatch.datasets import DatasetError, find_dataset, parse_label_options
    from headwatch.evaluate import ScoredFrame, evaluate, format_report, score_alerts
    from headwatch.pipeline import measure_frames, replay_alerts
    from headwatch.pose import PoseEstimator
    from headwatch.sources import read_image

    if (dataset / "truth.json").is_file():
        _eval_renders(dataset, model, config, as_json)
        return
    try:
        labels = parse_label_options(label or [])
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    settings = load_settings(config, {"capture.analyze_fps": fps, "capture.model": model})
    chosen, _ = select_profile(settings, profile)
    limits = limits_for(settings, chosen)
    frames: list[ScoredFrame] = []
    alert_scores = []
    try:
        data = find_dataset(dataset, labels)
        with ExitStack() as stack:
            if data.images:
                detector = stack.enter_context(PoseEstimator(settings.capture.model, mode="image"))
                for image in data.images:
                    (record,) = measure_frames([read_image(image.path)], detector, str(image.path), limits)
                    frames.append(ScoredFrame(image.bad, record.person, record.verdict.state, record.sample))
            for video in data.videos:
                measured = measure_video(video.path, settings.capture.analyze_fps, settings.capture.model, limits)
                for record in measured.records:
                    bad = video.label_at(record.t_s)
                    if bad is not None:
                        frames.append(ScoredFrame(bad, record.person, record.verdict.state, record.sample))
                alerts, _ = replay_alerts(measured.records, AlertEngine(alert_settings(settings)),
                                          end_s=measured.read_s)
                alert_scores.append(score_alerts(video.spans, alerts))
        if not frames:
            raise DatasetError(f"{dataset}: no frame fell inside a labelled span or folder")
    except HeadwatchError as exc:  # DatasetError among them
        fail(str(exc), EXIT_FAILED)
    report = evaluate(frames, alert_scores, {"images": len(data.images), "videos": len(data.videos)})
    typer.echo(json.dumps(report.as_json(), indent=2) if as_json else format_report(report))



def _eval_renders(root: Path, model: str | None, config: Path | None, as_json: bool) -> None:
    """The rendered-people layout: error in degrees against exactly known angles."""
    from headwatch.pipeline import observe
    from headwatch.pose import PoseEstimator
    from headwatch.renders import format_render_report, read_renders, render_errors
    from headwatch.sources import read_image

    settings = load_settings(config, {"capture.model": model})
    try:
        renders = read_renders(root)
        with PoseEstimator(settings.capture.model, mode="image") as detector:
            measured = {}
            for render in renders:
                measured[render.file] = observe(read_image(root / render.file), detector).sample
    except HeadwatchError as exc:
        fail(str(exc), EXIT_FAILED)
    found = sum(1 for sample in measured.values() if sample is not None)
    errors = render_errors(renders, measured)
    if as_json:
        document = {"renders": len(renders), "detection_rate": round(found / len(renders), 4),
                    "errors": [e.as_json() for e in errors]}
        typer.echo(json.dumps(document, indent=2))
    else:
        typer.echo(format_render_report(found, len(renders), errors))
