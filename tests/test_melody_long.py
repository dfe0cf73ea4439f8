"""Melodies longer than the model's context are written in windows (tools/melody/long), here with
windows shrunk so the tiny model exercises every seam."""

from __future__ import annotations

import pytest

from tunesmith.tools.melody import compose as tool
from tunesmith.tools.melody import long
from tunesmith.tools.melody.request import build_request


@pytest.fixture
def small_windows(monkeypatch):
    monkeypatch.setattr(long, "FIRST_BARS", 4)
    monkeypatch.setattr(long, "STEP_BARS", 2)
    monkeypatch.setattr(long, "CONTEXT_BARS", 2)


def _bar_notes(melody, bar):
    lo, hi = bar * melody.bar_length, (bar + 1) * melody.bar_length
    return [(n.pitch, round(n.onset - lo, 4), n.duration) for n in melody.notes if lo - 1e-9 <= n.onset < hi - 1e-9]


def test_a_long_melody_is_full_checked_and_repeatable(tiny_runtime, small_windows) -> None:
    request = build_request(style="irish-reel", key="D", bars=9, seed=3)
    result = tool.new_melody(request, runtime=tiny_runtime)
    melody = result.melody
    assert melody.bars == 9 and result.report.ok
    assert melody.notes[-1].end <= 9 * melody.bar_length + 1e-9
    notes = melody.notes  # one line: no note starts before the previous one ends, at a seam or elsewhere
    assert all(a.end <= b.onset + 1e-9 for a, b in zip(notes, notes[1:]))
    assert any(n.onset >= 8 * melody.bar_length - 1e-9 or n.end > 8 * melody.bar_length for n in notes)
    assert tool.new_melody(request, runtime=tiny_runtime).melody == melody
    first = tool.new_melody(build_request(style="irish-reel", key="D", bars=4, seed=3), runtime=tiny_runtime).melody
    assert [_bar_notes(melody, b) for b in range(4)] == [_bar_notes(first, b) for b in range(4)]


def test_short_melodies_do_not_take_the_window_path(tiny_runtime, small_windows, monkeypatch) -> None:
    monkeypatch.setattr(long, "extend", lambda *a, **k: pytest.fail("windows used for a short melody"))
    assert tool.new_melody(build_request(key="C", bars=4, seed=1), runtime=tiny_runtime).melody.bars == 4


def test_continuing_past_the_context_keeps_every_given_bar(tiny_runtime, small_windows) -> None:
    start = tool.new_melody(build_request(key="G", bars=3, seed=1), runtime=tiny_runtime).melody
    result = tool.continue_melody(start, runtime=tiny_runtime, request=build_request(key="G", bars=5, seed=5))
    assert result.melody.bars == 8 and result.report.ok
    assert [_bar_notes(result.melody, b) for b in range(3)] == [_bar_notes(start, b) for b in range(3)]


def test_rewriting_a_melody_keeps_its_own_range_and_hears_its_style(tiny_checkpoint, tmp_path) -> None:
    from dataclasses import replace

    from tunesmith.tools.actions import Context
    from tunesmith.tools.actions.melody import _rewrite_request
    from tunesmith.tools.actions.models import Models
    from tunesmith.tools.actions.state import SongState

    from tunes import down_tune

    song = down_tune()
    high = replace(song.melody, notes=song.melody.notes[:-1] + (replace(song.melody.notes[-1], pitch=96),))
    state = SongState(song=replace(song, melody=high, style=None))
    ctx = Context(models=Models(tiny_checkpoint), out_dir=tmp_path)
    request = _rewrite_request(state, ctx, high, bars=4, seed=1)
    assert request.high == 96 and request.low <= min(n.pitch for n in high.notes)
    assert _rewrite_request(state, ctx, high, bars=4, seed=1, range="C4-C5").high == 72  # a stated range stands
    assert request.style is None  # the tiny checkpoint has no style profiles: no style is guessed
