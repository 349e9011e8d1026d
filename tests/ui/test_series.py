"""Chart options and curve shaping: EMA smoothing, log y with real-unit ticks, x axes, zoom."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tui_dl.ui.series import (
    X_AXES,
    ZOOMS,
    ChartOptions,
    Timeline,
    ema,
    shape_line,
    y_ticks,
)

EMPTY = Timeline.from_columns([], [], [])


def timeline() -> Timeline:
    """Epochs of 10, 10 and 20 steps taking 2, 2 and 4 seconds."""
    return Timeline.from_columns([1, 2, 3], [10, 20, 40], [2.0, 2.0, 4.0])


# ema

def test_ema_matches_hand_computed_debiased_average():
    # w = 0.5: 0.5 / 0.5 = 1; (0.25 + 1) / 0.75 = 5/3; (0.625 + 1.5) / 0.875 = 17/7
    assert ema(np.array([1.0, 2.0, 3.0]), 0.5) == pytest.approx([1.0, 5 / 3, 17 / 7])


def test_ema_of_a_constant_is_the_constant():
    assert ema(np.full(20, 3.0), 0.9) == pytest.approx(np.full(20, 3.0))


def test_ema_weight_zero_returns_the_input_as_a_copy():
    values = np.array([3.0, -1.0, 7.5])
    out = ema(values, 0.0)
    assert out.tolist() == values.tolist()
    out[0] = 99.0
    assert values[0] == 3.0


def test_ema_keeps_nan_and_skips_it():
    out = ema(np.array([1.0, math.nan, 2.0, math.inf, 3.0]), 0.5)
    assert math.isnan(out[1]) and math.isinf(out[3])
    assert out[[0, 2, 4]] == pytest.approx([1.0, 5 / 3, 17 / 7])


# ChartOptions

def test_adjust_smoothing_up_reaches_fine_weights_then_clamps():
    options = ChartOptions()
    seen = []
    for _ in range(7):
        options.adjust_smoothing(0.1)
        seen.append(options.smoothing)
    assert seen == [0.7, 0.8, 0.9, 0.95, 0.99, 0.99, 0.99]


def test_adjust_smoothing_down_reverses_then_clamps_at_zero():
    options = ChartOptions(smoothing=0.99)
    seen = []
    for _ in range(14):
        options.adjust_smoothing(-0.1)
        seen.append(options.smoothing)
    assert seen == [0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0, 0.0, 0.0, 0.0]


def test_adjust_smoothing_stops_at_the_fine_range_and_rounds():
    options = ChartOptions(smoothing=0.85)
    options.adjust_smoothing(0.1)
    assert options.smoothing == 0.9
    options = ChartOptions(smoothing=0.05)
    options.adjust_smoothing(-0.1)
    assert options.smoothing == 0.0
    options = ChartOptions(smoothing=0.123)
    options.adjust_smoothing(0.1)
    assert options.smoothing == 0.22


def test_cycle_x_axis_wraps_around():
    options = ChartOptions()
    seen = []
    for _ in range(len(X_AXES) + 1):
        options.cycle_x_axis()
        seen.append(options.x_axis)
    assert seen == ["step", "time", "epoch", "step"]


def test_cycle_zoom_wraps_around():
    options = ChartOptions()
    seen = []
    for _ in range(len(ZOOMS) + 1):
        options.cycle_zoom()
        seen.append(options.last_epochs)
    assert seen == [10, 25, 50, 100, 250, 0, 10]


def test_describe_mentions_each_option():
    text = ChartOptions().describe()
    for part in ("smoothing 0.60", "linear y", "x: epoch", "all epochs"):
        assert part in text
    text = ChartOptions(smoothing=0.0, log_y=True, x_axis="time", last_epochs=25).describe()
    for part in ("smoothing off", "log y", "x: time", "last 25 epochs"):
        assert part in text


# Timeline

def test_timeline_cumulates_seconds():
    assert timeline().second_ends.tolist() == [2.0, 4.0, 8.0]


def test_convert_steps_interpolates_and_extrapolates_at_the_last_rate():
    x = np.array([0.5, 1.0, 1.5, 2.5, 4.0])
    assert timeline().convert(x, "step").tolist() == pytest.approx([5, 10, 15, 30, 60])


def test_convert_time_interpolates_and_extrapolates_at_the_last_rate():
    x = np.array([0.5, 1.5, 2.5, 3.0, 3.5])
    assert timeline().convert(x, "time").tolist() == pytest.approx([1, 3, 6, 8, 10])


def test_convert_epoch_is_a_float_copy():
    x = np.array([1, 2, 3])
    out = timeline().convert(x, "epoch")
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0, 3.0]
    out[0] = 9.0
    assert x[0] == 1


def test_convert_before_any_epoch_ends():
    x = np.array([0.25, 0.5])
    assert EMPTY.convert(x, "step", steps_per_epoch=8).tolist() == [2.0, 4.0]
    assert np.isnan(EMPTY.convert(x, "time")).all()


def test_convert_rejects_unknown_axis():
    with pytest.raises(ValueError, match="wall"):
        timeline().convert(np.array([1.0]), "wall")


def test_axis_labels():
    assert [timeline().label(axis) for axis in X_AXES] == ["epoch", "step", "time (s)"]


# shape_line

def test_shape_line_log_y_drops_non_positive_and_takes_log10():
    x = [1, 2, 3, 4, 5, 6]
    ys = [10.0, 0.0, -1.0, 100.0, math.nan, 0.01]
    line = shape_line(x, ys, ChartOptions(smoothing=0.0, log_y=True), timeline())
    assert line.raw[0] == [1.0, 4.0, 6.0]
    assert line.raw[1] == pytest.approx([1.0, 2.0, -2.0])


def test_shape_line_smooths_the_log_values():
    ys = [10.0, 1000.0]
    line = shape_line([1, 2], ys, ChartOptions(smoothing=0.5, log_y=True), timeline())
    assert line.smooth is not None
    assert line.smooth[1] == pytest.approx(ema(np.log10(ys), 0.5).tolist())


def test_shape_line_converts_x_to_the_chosen_axis():
    options = ChartOptions(smoothing=0.0, x_axis="step")
    line = shape_line([0.5, 2.5], [1.0, 2.0], options, timeline())
    assert line.raw[0] == pytest.approx([5.0, 30.0])
    options.x_axis = "time"
    assert shape_line([0.5, 2.5], [1.0, 2.0], options, timeline()).raw[0] == pytest.approx([1, 6])


def test_shape_line_time_axis_before_any_epoch_is_empty():
    line = shape_line([0.2, 0.4], [1.0, 2.0], ChartOptions(x_axis="time"), EMPTY)
    assert line.raw == ([], [])
    assert line.smooth == ([], [])


# y_ticks

def test_y_ticks_none_without_log_y():
    assert y_ticks(0.0, 5.0, log_y=False) is None


def test_y_ticks_four_decades_are_whole_decades():
    positions, labels = y_ticks(math.log10(0.00005), math.log10(0.2), log_y=True)
    assert positions == [-4.0, -3.0, -2.0, -1.0]
    assert labels == ["0.0001", "0.001", "0.01", "0.1"]


def test_y_ticks_many_decades_are_thinned():
    positions, labels = y_ticks(-10.0, 0.0, log_y=True)  # 11 decades, at most 5 ticks: every 3rd
    assert positions == [-9.0, -6.0, -3.0, 0.0]
    assert labels == ["1e-09", "1e-06", "0.001", "1"]


def test_y_ticks_one_and_a_half_decades_add_2_and_5():
    positions, labels = y_ticks(-1.0, 0.5, log_y=True)
    assert labels == ["0.1", "0.2", "0.5", "1", "2"]
    assert positions == pytest.approx(np.log10([0.1, 0.2, 0.5, 1, 2]))


def test_y_ticks_under_a_decade_are_evenly_spaced():
    lo, hi = math.log10(0.5), math.log10(1.0)  # 0.3 decades
    positions, labels = y_ticks(lo, hi, log_y=True)
    assert positions == pytest.approx(np.linspace(lo, hi, 5))
    assert labels[0] == "0.5" and labels[-1] == "1"
    assert [float(label) for label in labels] == pytest.approx(10 ** np.array(positions), rel=5e-3)


def test_y_ticks_single_value():
    assert y_ticks(-2.0, -2.0, log_y=True) == ([-2.0], ["0.01"])
