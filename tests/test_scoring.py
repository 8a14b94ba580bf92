from __future__ import annotations

import pytest

from headwatch.evaluation.scoring import auc


def test_auc_perfect_and_inverted() -> None:
    assert auc([1, 2, 3], [4, 5]) == 1.0
    assert auc([4, 5], [1, 2, 3]) == 0.0


def test_auc_counts_ties_as_half() -> None:
    # Pairs (good, bad): (1,1) tie = 0.5, (1,2) = 1, (3,1) = 0, (3,2) = 0 -> 1.5 / 4.
    assert auc([1, 3], [1, 2]) == pytest.approx(0.375)


def test_auc_none_when_a_side_is_empty() -> None:
    assert auc([], [1.0]) is None
    assert auc([1.0], []) is None


def test_confusion_counts_and_rates() -> None:
    from headwatch.evaluation.scoring import Confusion

    # (labelled bad, judged bad): 3 bad caught, 1 missed, 1 false alarm, 5 good passed.
    pairs = [(True, True)] * 3 + [(True, False)] + [(False, True)] + [(False, False)] * 5
    confusion = Confusion.of(pairs)
    assert (confusion.true_bad, confusion.false_good, confusion.false_bad, confusion.true_good) == (3, 1, 1, 5)
    assert confusion.sensitivity == pytest.approx(0.75)
    assert confusion.specificity == pytest.approx(5 / 6)
    assert confusion.balanced_accuracy == pytest.approx((0.75 + 5 / 6) / 2)
    assert Confusion.of([(False, False)]).sensitivity is None
    assert Confusion.of([(False, False)]).balanced_accuracy is None
