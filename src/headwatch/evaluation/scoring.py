"""Scores of a metric or a judgement against labels: pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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


@dataclass(frozen=True, slots=True)
class Confusion:
    """Counts of a bad/good judgement against bad/good labels ("positive" = bad)."""

    true_bad: int = 0
    false_bad: int = 0  # judged bad, labelled good
    true_good: int = 0
    false_good: int = 0  # judged good (or not judged), labelled bad

    @staticmethod
    def of(pairs: Sequence[tuple[bool, bool]]) -> Confusion:
        """From (labelled_bad, judged_bad) pairs."""
        return Confusion(
            true_bad=sum(1 for label, judged in pairs if label and judged),
            false_bad=sum(1 for label, judged in pairs if not label and judged),
            true_good=sum(1 for label, judged in pairs if not label and not judged),
            false_good=sum(1 for label, judged in pairs if label and not judged),
        )

    @property
    def sensitivity(self) -> float | None:
        bad = self.true_bad + self.false_good
        return self.true_bad / bad if bad else None

    @property
    def specificity(self) -> float | None:
        good = self.true_good + self.false_bad
        return self.true_good / good if good else None

    @property
    def balanced_accuracy(self) -> float | None:
        if self.sensitivity is None or self.specificity is None:
            return None
        return (self.sensitivity + self.specificity) / 2.0
