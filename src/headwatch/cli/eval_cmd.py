"""`headwatch eval`: score the judgement against labelled photos and videos."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer

from headwatch.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    BadForOption,
    ClusterOption,
    ConfigOption,
    JobsOption,
    ModelOption,
    ProfileOption,
    ReferenceOption,
    check_cluster,
    echo_lines,
    error,
    fail,
    load_settings,
    select_reference,
    stay_offline,
)
from headwatch.errors import HeadwatchError
from headwatch.types import SCHEMA


def group_of(path: Path, root: Path, level: int | None) -> str:
    """The ``level``-th folder under the dataset root that holds the file (the person or session)."""
    if level is None:
        return "all"
    parts = path.relative_to(root).parts[:-1]
    return parts[level - 1] if len(parts) >= level else "(top)"


def eval_command(
    dataset: Annotated[Path, typer.Argument(help="Folder of labelled images (good/ poor/ ...) and/or videos with a "
                                                 "spans CSV beside each.", show_default=False)],
    label: Annotated[list[str] | None, typer.Option(
        "--label", help="Map a folder or span label: NAME=good or NAME=bad (repeatable), e.g. "
                        "isSlouching=bad.")] = None,
    group_by: Annotated[int | None, typer.Option(
        "--group-by", min=1, help="The folder level under DATASET that names the person or session (1 = the "
                                  "first level): figures per group and their spread beside the pooled ones; with "
                                  "--reference auto, each group's photos teach its reference.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead of the text.")] = False,
    fps: Annotated[float | None, typer.Option(
        min=0.1, max=120.0, help="Frames per second sampled from videos. (default: 1)")] = None,
    bad_for: BadForOption = None,
    model: ModelOption = None,
    config: ConfigOption = None,
    profile: ProfileOption = None,
    reference: ReferenceOption = None,
    jobs: JobsOption = None,
    cluster: ClusterOption = None,
) -> None:
    """Score headwatch on labelled footage: detection, AUC per head-forward metric, the judgement's
    confusion matrix, sensitivity, specificity and balanced accuracy, and for videos the alert
    onset delay and the false alerts per hour."""
    from headwatch.app.assemble import limits_for
    from headwatch.app.executors import MeasureTask, make_executor, measure_all
    from headwatch.app.pipeline import judge_against_own_reference
    from headwatch.app.recording import judge_recording
    from headwatch.evaluation.datasets import DatasetError, find_dataset, parse_label_options
    from headwatch.evaluation.evaluate import (
        AlertScore,
        ScoredFrame,
        evaluate,
        format_groups,
        format_report,
        score_alerts,
        spread_of,
    )
    from headwatch.types import FrameRecord
    from headwatch.vision.models import load_model

    check_cluster(cluster)
    if not cluster:
        stay_offline()  # local files only: MediaPipe's telemetry must not get out
    if (dataset / "truth.json").is_file():
        _eval_renders(dataset, model, config, as_json)
        return
    try:
        labels = parse_label_options(label or [])
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    settings = load_settings(config, {"capture.analyze_fps": fps, "capture.model": model,
                                      "alerts.bad_for_s": bad_for})
    choice, _ = select_reference(settings, reference, profile)
    limits = limits_for(settings, choice.profile)
    learns = choice.mode == "auto"
    failed: list[str] = []
    frames: dict[str, list[ScoredFrame]] = {}
    alert_scores: dict[str, list[AlertScore]] = {}
    try:
        data = find_dataset(dataset, labels)
        if group_by is not None:
            paths = [i.path for i in data.images] + [v.path for v in data.videos]
            deepest = max((len(path.relative_to(dataset).parts) - 1 for path in paths), default=0)
            if group_by > deepest:
                fail(f"--group-by {group_by}: the files lie at most {deepest} folder{'s' if deepest != 1 else ''} "
                     f"below {dataset}; give 1 to {max(deepest, 1)}", EXIT_USAGE)
        tasks = [MeasureTask(image.path, "image", settings.capture.analyze_fps, settings.capture.model, limits)
                 for image in data.images]
        tasks += [MeasureTask(video.path, "video", settings.capture.analyze_fps, settings.capture.model, limits)
                  for video in data.videos]
        load_model(settings.capture.model)  # a missing or damaged model: one line before any work
        with closing(make_executor(jobs, cluster, tasks)) as executor:
            measured = {result.task.path: result for result in measure_all(executor, tasks)}
        for result in measured.values():  # a damaged file is one line, and left out of the figures
            if result.error is not None:
                failed.append(result.error)
                error(result.error)
        photos: dict[str, list[tuple[bool, FrameRecord]]] = {}
        for image in data.images:
            if measured[image.path].error is not None:
                continue
            (record,) = measured[image.path].records
            photos.setdefault(group_of(image.path, dataset, group_by), []).append((image.bad, record))
        for group, labelled in photos.items():
            records = [record for _, record in labelled]
            if learns:  # the group's photos teach its reference, as a monitor's first minutes would
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
                    frames.setdefault(group, []).append(
                        ScoredFrame(bad, record.person, record.verdict.state, record.sample))
            alert_scores.setdefault(group, []).append(score_alerts(video.spans, judged.alerts))
        if not frames:
            raise DatasetError(f"{dataset}: no frame fell inside a labelled span or folder")
    except HeadwatchError as exc:  # DatasetError among them
        fail(str(exc), EXIT_FAILED)
    pooled = [f for group in frames.values() for f in group]
    report = evaluate(pooled, [s for scores in alert_scores.values() for s in scores],
                      {"images": len(data.images), "videos": len(data.videos)})
    groups = {name: evaluate(group, alert_scores.get(name, [])) for name, group in sorted(frames.items())}
    if as_json:
        document = report.to_json()
        document = {"schema": SCHEMA, **document, "reference": choice.describe()}
        if group_by is not None:
            document["groups"] = {name: r.to_json() for name, r in groups.items()}
            document["spread"] = spread_of(groups)
        document["errors"] = failed
        typer.echo(json.dumps(document, indent=2))
    else:
        echo_lines(format_report(report))
        typer.echo(f"judged against      {choice.describe()}" + (" (per group)" if learns and group_by else ""))
        if group_by is not None:
            typer.echo("")
            echo_lines(format_groups(groups))
    if failed:  # the figures cover the rest; the exit code says something was left out
        raise typer.Exit(EXIT_FAILED)


def _eval_renders(root: Path, model: str | None, config: Path | None, as_json: bool) -> None:
    """The rendered-people layout: error in degrees against exactly known angles."""
    from headwatch.app.pipeline import observe
    from headwatch.evaluation.renders import format_render_report, read_renders, render_errors
    from headwatch.vision.pose import PoseEstimator
    from headwatch.vision.sources import read_image

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
        document = {"schema": SCHEMA, "renders": len(renders), "detection_rate": round(found / len(renders), 4),
                    "errors": [e.to_json() for e in errors]}
        typer.echo(json.dumps(document, indent=2))
    else:
        echo_lines(format_render_report(found, len(renders), errors))
