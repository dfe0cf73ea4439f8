"""The adapt eval's distance arithmetic and its 8-bar window metrics (no training here)."""

from __future__ import annotations

import doctest

import pytest

from tunesmith.eval import eval_adapt
from tunesmith.eval.eval_adapt import METRICS, metric_distances, movement, window_metrics
from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note


def _scale_melody(bars: int, *, step: int = 1) -> Melody:
    """Quarter notes walking up and down a C major scale, `bars` bars of 4/4."""
    degrees = [60, 62, 64, 65, 67, 69, 71, 72]
    walk = degrees + degrees[-2:0:-1]
    notes = tuple(Note(walk[(i * step) % len(walk)], float(i), 1.0) for i in range(4 * bars))
    return Melody(notes=notes, key=KeySpec("C"), meter=Meter(4, 4), bars=bars)


def test_distance_is_in_reference_standard_deviations() -> None:
    reference = [{"x": 1.0, "y": 5.0}, {"x": 3.0, "y": 5.0}]  # x: mean 2, sd 1.414; y: constant 5
    table = metric_distances(reference, [{"x": 2.0, "y": 6.0}, {"x": 4.0, "y": 4.0}], metrics=["x", "y"])
    assert table["x"]["files_mean"] == 2.0 and table["x"]["generated_mean"] == 3.0
    assert table["x"]["distance"] == pytest.approx(1 / 1.41421, abs=1e-3)
    assert table["y"]["distance"] == 0.0  # same mean as the constant reference
    far = metric_distances(reference, [{"x": 2.0, "y": 10.0}], metrics=["y"])
    assert far["y"]["distance"] == 1.0  # constant reference: relative distance |10-5|/5
    with pytest.raises(ValueError):
        metric_distances(reference, [], metrics=["x"])


def test_movement_counts_metrics_that_got_closer() -> None:
    before = {"a": {"distance": 1.0}, "b": {"distance": 2.0}, "c": {"distance": 0.2}}
    after = {"a": {"distance": 0.4}, "b": {"distance": 2.0}, "c": {"distance": 0.3}}
    table = movement(before, after)
    assert [table[m]["moved"] for m in "abc"] == [True, False, False]
    assert table["moved_toward"] == 1
    assert table["mean_before"] == pytest.approx(1.067, abs=1e-3) and table["mean_after"] == pytest.approx(0.9)


def test_window_metrics_cut_to_the_asked_bars() -> None:
    values = window_metrics(_scale_melody(10), bars=8)
    assert values is not None and set(values) == set(METRICS)
    assert values["notes_per_bar"] == 4.0 and values["step_ratio"] == 1.0
    assert values["in_key_ratio"] == 1.0
    assert window_metrics(_scale_melody(6), bars=8) is None  # too short to compare
    leaps = window_metrics(_scale_melody(10, step=3), bars=8)
    assert leaps is not None and leaps["mean_abs_interval"] > values["mean_abs_interval"]


def test_doctests() -> None:
    assert doctest.testmod(eval_adapt).failed == 0
