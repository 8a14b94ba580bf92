from __future__ import annotations

import pytest

from headwatch.scoring import auc


def test_auc_perfect_and_inverted() -> None:
    assert auc([1, 2, 3], [4, 5]) == 1.0
    assert auc([4, 5], [1, 2, 3]) == 0.0


def test_auc_counts_ties_as_half() -> None:
    # Pairs (good, bad): (1,1) tie = 0.5, (1,2) = 1, (3,1) = 0, (3,2) = 0 -> 1.5 / 4.
    assert auc([1, 3], [1, 2]) == pytest.approx(0.375)


def test_auc_none_when_a_side_is_empty() -> None:
    assert auc([], [1.0]) is None
    assert auc([1.0], []) is None
