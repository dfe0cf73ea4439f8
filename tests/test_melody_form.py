"""Form-aware melodies (tools/melody/form) and the repeat statistics behind them (eval/form_stats)."""

from __future__ import annotations

import doctest
import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from tunesmith.eval import form_stats
from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note
from tunesmith.tools.melody import form

ROOT = Path(__file__).resolve().parents[1]


def _melody(pitches_per_bar: list[list[int]], *, pickup: bool = False) -> Melody:
    """Quarter notes in 2/4, one list of pitches per bar; with `pickup`, bar 1 holds one upbeat."""
    notes = []
    for bar, pitches in enumerate(pitches_per_bar):
        step = 2.0 / len(pitches)
        for i, pitch in enumerate(pitches):
            notes.append(Note(pitch, bar * 2.0 + i * step, step))
    if pickup:
        notes = [Note(notes[0].pitch, 1.0, 1.0)] + [n for n in notes if n.onset >= 2.0]
    return Melody(notes=tuple(notes), meter=Meter(2, 4), key=KeySpec("C"), bars=len(pitches_per_bar))


def _distinct(bars: int, *, base: int = 60, pickup: bool = False) -> Melody:
    return _melody([[base + b, base + b + 2] for b in range(bars)], pickup=pickup)


def test_doctests() -> None:
    assert doctest.testmod(form).failed == 0
    assert doctest.testmod(form_stats).failed == 0


def test_maps_are_well_formed_and_weighted() -> None:
    assert form.DEFAULT_FORM_STYLE in form.FORM_MAPS
    for style, table in form.FORM_MAPS.items():
        assert set(table) <= {"pickup", "downbeat"} and table, style
        for start, maps in table.items():
            assert abs(sum(w for _, w in maps) - 1.0) < 0.01, (style, start)
            for copy_map, weight in maps:
                sources = [int(c) for c in copy_map]
                assert len(sources) == form.FORM_BARS and weight > 0
                assert all(1 <= src <= bar for bar, src in enumerate(sources, 1)), copy_map
                # every source is itself new: a copy never points at a copy
                assert all(sources[src - 1] == src for src in sources), copy_map


def test_maps_match_the_measured_templates() -> None:
    measured = json.loads((ROOT / "eval" / "results" / "form_stats.json").read_text(encoding="utf-8"))["templates"]
    shipped = {s: {k: [list(m) for m in v] for k, v in t.items()} for s, t in form.FORM_MAPS.items()}
    assert shipped == {s: t for s, t in measured.items() if s != "from"}


def test_dance_tunes_repeat_more_than_songs() -> None:
    def copies(style: str) -> float:
        rng = random.Random(0)
        plans = [form.form_plan(style, bars=8, pickup=True, rng=rng) for _ in range(400)]
        return sum(src != bar for plan in plans for bar, src in enumerate(plan, 1)) / 400

    assert copies("irish-reel") > 2 * copies("chinese-han") > 0


def test_plan_shapes() -> None:
    rng = random.Random(3)
    assert form.form_plan("irish-jig", bars=3, pickup=False, rng=rng) == (1, 2, 3)
    six = form.form_plan("irish-jig", bars=6, pickup=False, rng=rng)
    assert len(six) == 6 and all(src <= bar for bar, src in enumerate(six, 1))
    long = form.form_plan("irish-reel", bars=19, pickup=True, rng=rng)
    assert len(long) == 19 and long[16:] == (17, 18, 19)  # a 3-bar tail is left new
    assert all(8 * (bar > 8) + 8 * (bar > 16) < src <= bar for bar, src in enumerate(long, 1))
    unknown = form.form_plan("my-own-adapter", bars=8, pickup=False, rng=random.Random(1))
    assert unknown == form.form_plan(None, bars=8, pickup=False, rng=random.Random(1))


def test_same_seed_same_plan() -> None:
    a = form.form_plan("irish-reel", bars=16, pickup=False, rng=random.Random(9))
    assert a == form.form_plan("irish-reel", bars=16, pickup=False, rng=random.Random(9))


def test_compose_copies_bars_and_cuts_held_notes() -> None:
    melody = _distinct(4)
    held = replace(melody, notes=melody.notes[:3] + (Note(63, 3.0, 2.0),) + melody.notes[5:])  # bar 2 ties into 3
    out = form.compose(held, (1, 2, 1, 4))
    assert out.bars == 4
    assert [n.pitch for n in out.notes_in_bar(3)] == [60, 62]
    assert all(a.end <= b.onset + 1e-9 for a, b in zip(out.notes, out.notes[1:]))  # still one line
    assert max(n.end for n in out.notes) <= out.length + 1e-9
    assert out.notes_in_bar(4) == melody.notes_in_bar(4)
    with pytest.raises(ValueError):
        form.compose(melody, (1, 2, 1))


def test_playable_plan_drops_bad_copies() -> None:
    picked = _distinct(4, pickup=True)
    assert form.has_pickup(picked) and not form.has_pickup(_distinct(4))
    assert form.playable_plan(picked, (1, 2, 1, 2)) == (1, 2, 3, 2)  # the pickup bar is not repeated
    empty_source = _melody([[60], [62, 64], [65], [67]])
    tied = replace(empty_source, notes=(Note(60, 0.0, 4.0),) + empty_source.notes[3:])  # bar 2 only holds
    assert form.playable_plan(tied, (1, 2, 3, 2)) == (1, 2, 3, 4)


def test_next_new_run() -> None:
    assert form.next_new_run((1, 2, 1, 4, 1, 2, 1, 8), after=0) == 4
    assert form.next_new_run((1, 2, 1, 4, 1, 2, 1, 8), after=4) == 8
    assert form.next_new_run((1, 2, 3, 4), after=0) is None


def test_form_melodies_drives_the_sampler() -> None:
    calls = []

    def sample(prefix, keep_bars, seed):
        calls.append((prefix, keep_bars, seed))
        out = []
        for row in range(2):
            fresh = _distinct(8, base=50 + 10 * row + keep_bars)
            if prefix is None:
                out.append(fresh)
                continue
            kept = tuple(n for n in prefix.notes)
            tail = tuple(n for n in fresh.notes if n.onset >= keep_bars * 2.0 - 1e-9)
            out.append(replace(fresh, notes=kept + tail))
        return out

    def rank(melody):
        return (-melody.notes[0].pitch,)

    # a reel without pickup: every map repeats something; find a seed whose plan needs a second pass
    for seed in range(50):
        calls.clear()
        result = form.form_melodies(sample, rank, style="irish-reel", bars=8, seed=seed)
        if len(calls) > 1:
            break
    assert len(calls) > 1 and calls[0][:2] == (None, 0)
    prefix, keep, _ = calls[1]
    assert prefix.bars == keep and 2 <= keep < 8
    assert len(result) == 2 and all(m.bars == 8 for m in result)
    copied = [bar for bar in range(2, 9) if any(result[0].notes_in_bar(bar) == tuple(
        replace(n, onset=n.onset + (bar - src) * 2.0) for n in result[0].notes_in_bar(src)) for src in range(1, bar))]
    assert copied, "the result repeats no bar"
    assert form.form_melodies(sample, rank, style="irish-reel", bars=3, seed=1) == sample(None, 0, 1)


def test_form_stats_on_a_tiny_style() -> None:
    a = _melody([[60, 62], [64, 65], [60, 62], [67, 60]])
    b = _melody([[60, 64], [62, 65], [67, 69], [72, 71]])
    stats = form_stats.style_stats([a, b], bars=4)
    assert stats["n"] == 2 and stats["exact_pairs"]["1->3"] == 0.5
    assert stats["two_bar_forms"] == {"AB": 1.0}
    maps = {m["map"]: m["share"] for m in stats["copy_maps"]}
    assert maps == {"1 2 1 4": 0.5, "1 2 3 4": 0.5}
    sigs = [form_stats.bar_signature(a, bar) for bar in range(1, 5)]
    assert form_stats.relation(sigs[1], form_stats.bar_signature(b, 2), half=12) == "rhythm"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory, make_tiny_checkpoint):
    from tunesmith.finetune.runtime import load_runtime
    from tunesmith.finetune.corpus.profiles import build_profiles

    folder = make_tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "default")  # with style profiles added
    examples = [("irish-reel", _distinct(4, base=70 + i)) for i in range(3)]
    examples += [("german-folk", _melody([[60 + i], [62], [64], [60]])) for i in range(3)]
    build_profiles(examples, steps=20).save(folder / "style_profiles.json")
    return load_runtime(folder)


def test_new_melody_with_form_on_a_tiny_model(runtime) -> None:
    from tunesmith.tools.melody import compose as tool
    from tunesmith.tools.melody.request import build_request

    request = build_request(style="irish-reel", key="D", bars=8, seed=4)
    fit = tool.style_scorer(runtime, "irish-reel")
    assert fit is not None and fit(_distinct(4, base=70)) > fit(_melody([[60], [62], [64], [60]]))
    assert tool.style_scorer(runtime, "bach-chorale") is None  # the profiles do not know it
    result = tool.new_melody(request, runtime=runtime)
    assert result.report.ok and result.melody.bars == 8 and result.melody.meter == request.meter
    assert all(request.low <= n.pitch <= request.high for n in result.melody.notes)
    assert tool.new_melody(request, runtime=runtime).melody == result.melody
    plain = tool.new_melody(request, runtime=runtime, form=False, select_style=False)
    assert plain.report.ok and plain.melody.bars == 8
