"""The insight views' data without torch: confusion-matrix scores and folding, and which views apply."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tui_dl.engine.insights.views import Confusion, why_not

# rows: true a, b, c, d (d has no samples); columns: predicted
MATRIX = np.array([[3, 0, 1, 0],
                   [0, 0, 2, 0],
                   [2, 0, 4, 1],
                   [0, 0, 0, 0]])


def test_precision_recall_f1_and_support():
    c = Confusion(MATRIX, ["a", "b", "c", "d"], "validation", 13)
    assert c.support.tolist() == [4, 2, 7, 0]
    assert c.recall[0] == pytest.approx(3 / 4) and c.recall[1] == 0 and c.recall[2] == pytest.approx(4 / 7)
    assert math.isnan(c.recall[3])  # no samples
    assert c.precision[0] == pytest.approx(3 / 5) and c.precision[2] == pytest.approx(4 / 7)
    assert math.isnan(c.precision[1])  # never predicted
    assert c.precision[3] == 0  # predicted once, wrongly
    assert c.f1[0] == pytest.approx(2 * 0.6 * 0.75 / 1.35) and c.f1[2] == pytest.approx(4 / 7)
    assert c.f1[1] == 0 and c.f1[3] == 0  # never predicted / no samples: the undefined score counts 0
    assert math.isnan(Confusion(np.array([[1, 0], [0, 0]]), ["a", "b"], "validation", 1).f1[1])  # neither
    assert c.accuracy == pytest.approx(7 / 13)


def test_macro_averages_cover_the_classes_present():
    c = Confusion(MATRIX, ["a", "b", "c", "d"], "validation", 13)
    p, r, f, present = c.macro()
    assert present == 3  # d has no samples
    assert p == pytest.approx((0.6 + 0 + 4 / 7) / 3)  # b, never predicted, counts precision 0
    assert r == pytest.approx((0.75 + 0 + 4 / 7) / 3)
    assert f == pytest.approx((c.f1[0] + 0 + c.f1[2]) / 3)
    assert c.macro()[3] == 3 and np.isnan(Confusion(np.zeros((2, 2), int), ["a", "b"], "training", 0).macro()[0])
    perfect = Confusion(np.diag([5, 3]), ["a", "b"], "validation", 8)
    assert perfect.macro() == (1.0, 1.0, 1.0, 2)


def test_most_frequent_classes_and_folding_the_rest_into_other():
    c = Confusion(MATRIX, ["a", "b", "c", "d"], "validation", 13)
    assert c.most_frequent(2) == [2, 0]  # by support
    assert c.most_frequent(4) == [2, 0, 1, 3]
    ties = Confusion(np.array([[1, 0, 1], [0, 1, 1], [0, 0, 2]]), ["x", "y", "z"], "validation", 6)
    assert ties.most_frequent(3) == [2, 0, 1]  # equal support: the one predicted more often first, then order
    folded = c.folded([2, 0])
    assert folded.tolist() == [[4, 2, 1],   # true c: predicted c, a, other (d)
                               [1, 3, 0],   # true a
                               [2, 0, 0]]   # true b and d, as other
    assert folded.sum() == MATRIX.sum()
    assert c.folded([3, 2, 1, 0]).tolist() == MATRIX[np.ix_([3, 2, 1, 0], [3, 2, 1, 0])].tolist()  # no "other"


def test_the_plane_view_applies_to_two_input_regression():
    assert why_not("boundary", "regression", 2) is None
    assert why_not("boundary", "classification", 2) is None
    assert why_not("boundary", "regression", 1) == "the predicted value over the plane needs 2 input features (this data set has 1)"
