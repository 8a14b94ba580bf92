"""Scores of a metric or a judgement against labels: pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Sequence


def auc(good: Sequence[float], bad: Sequence[float]) -> float | None:
    """Area under the ROC curve: the chance that a random bad value exceeds a random good one.

    Ties count one half (the Mann-Whitney U statistic). None when either side is empty.
    """
    if not good or not bad:
        return None
    ranked = sorted([(v, 0) for v in good] + [(v, 1) for v in bad])
    rank_sum_bad = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + 1 + j) / 2.0  # ranks are 1-based; ties share their mean rank
        rank_sum_bad += mean_rank * sum(1 for k in range(i, j) if ranked[k][1] == 1)
        i = j
    n_bad, n_good = len(bad), len(good)
    return (rank_sum_bad - n_bad * (n_bad + 1) / 2.0) / (n_bad * n_good)
