"""`headwatch eval`: score the judgement against labelled photos and videos."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from headwatch.cli.common import (
    EXIT_FAILED,
    BadForOption,
    ClusterOption,
    ConfigOption,
    JobsOption,
    ModelOption,
    ProfileOption,
    ReferenceOption,
    echo_lines,
    one_line_errors,
    select_reference,
    settings_for,
)


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
    """Score headwatch on labelled footage.

    The figures: detection, AUC per head-forward metric, the judgement's confusion matrix,
    sensitivity, specificity and balanced accuracy, and for videos the alert onset delay and the
    false alerts per hour.
    """
    from headwatch.app.evaluate import EvalRequest, evaluate_dataset, evaluate_renders, is_render_set

    if is_render_set(dataset):
        settings = settings_for(config, {"capture.model": model})
        with one_line_errors():
            renders = evaluate_renders(dataset, settings)
        typer.echo(json.dumps(renders.document(), indent=2)) if as_json else echo_lines(renders.text())
        return
    settings = settings_for(config, {"capture.analyze_fps": fps, "capture.model": model,
                                      "alerts.bad_for_s": bad_for})
    choice, _ = select_reference(settings, reference, profile)
    request = EvalRequest(dataset, settings, choice, list(label or []), group_by, jobs, cluster)
    with one_line_errors():
        result = evaluate_dataset(request)
    if as_json:
        typer.echo(json.dumps(result.document(), indent=2))
    else:
        echo_lines(result.text())
    if result.failed:  # the figures cover the rest; the exit code says something was left out
        raise typer.Exit(EXIT_FAILED)
