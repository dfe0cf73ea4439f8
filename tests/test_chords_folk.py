"""The folk harmonizer: fitted tables, positional Viterbi, harmonic rhythm, pickups, the fit and the eval."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from tunesmith.eval import eval_chords_folk
from tunesmith.finetune.harmony import folk_data
from tunesmith.finetune.harmony.folk_data import FolkTune
from tunesmith.tokenization.music import ChordEvent, KeySpec, Melody, Meter, Note, Song
from tunesmith.tools.chords import folk, folk_fit, pickup
from tunesmith.tools.chords.folk import load_tables
from tunesmith.tools.chords.recommend import recommend_chords
from tunesmith.tools.chords.search import kbest_paths, max_marginals
from tunesmith.tools.errors import ToolError


def _melody(pitches_durations, *, key=KeySpec("C", "major"), meter=Meter(4, 4), start: float = 0.0) -> Melody:
    notes, onset = [], start
    for pitch, duration in pitches_durations:
        notes.append(Note(pitch, onset, duration))
        onset += duration
    return Melody(notes=tuple(notes), meter=meter, key=key)


# Twinkle, with half notes at the phrase ends (4 bars, twice)
TWINKLE = [(p, 1.0) for p in (60, 60, 67, 67, 69, 69)] + [(67, 2.0)] + \
          [(p, 1.0) for p in (65, 65, 64, 64, 62, 62)] + [(60, 2.0)]


@pytest.mark.parametrize("module", [folk_fit, pickup, folk_data, eval_chords_folk])
def test_doctests(module) -> None:
    assert doctest.testmod(module).failed == 0


def test_shipped_tables_are_probabilities_over_chords_in_key() -> None:
    families, weights, provenance = load_tables()
    assert set(families) == {"major", "minor"} and provenance["split"] == "dev"
    major = families["major"]
    assert {"0:maj", "5:maj", "7:maj", "7:7"} <= set(major.labels)
    assert {"0:min", "7:maj"} <= set(families["minor"].labels)
    assert np.allclose(np.exp(major.emission).sum(axis=2), 1.0, atol=1e-3)
    for by in major.transition.values():
        for matrix in by.values():
            assert np.allclose(np.exp(matrix).sum(axis=1), 1.0, atol=1e-3)
    inside = major.transition["half"]["inside"]
    assert np.all(np.diag(inside) == inside.max(axis=1))  # inside a bar the chord is usually kept
    tonic = major.labels.index("0:maj")
    assert major.emission[0, tonic, 0] > major.emission[0, tonic, 1]  # C on the downbeat under C, not C#
    assert weights.emission > 0


def test_positional_transitions_match_one_matrix_when_all_alike() -> None:
    rng = np.random.default_rng(3)
    unary, matrix = rng.normal(size=(6, 4)), rng.normal(size=(4, 4))
    stacked = np.stack([matrix] * 5)
    assert kbest_paths(unary, matrix, 4) == kbest_paths(unary, stacked, 4)
    assert np.allclose(max_marginals(unary, matrix), max_marginals(unary, stacked))
    stacked[2] = -50.0  # no change allowed into slot 3 except staying: forbid everything
    stacked[2][np.arange(4), np.arange(4)] = 0.0
    best = kbest_paths(unary, stacked, 1)[0][1]
    assert best[2] == best[3]


def test_twinkle_gets_the_chords_people_play() -> None:
    result = recommend_chords(_melody(TWINKLE * 2))
    assert result.scorer == "folk-hmm" and result.per == "half"
    assert result.progressions[0].chart().startswith("| C | F C | F C | G")
    assert [c.symbol.rstrip("7") for c in result.chords[:6]] == ["C", "F", "C", "F", "C", "G"]
    bars = recommend_chords(_melody(TWINKLE * 2, start=4.0), per="bar")  # placed by its file: no pickup search
    assert bars.per == "bar" and all(e.onset % 4 == 0 for e in bars.chords) and not bars.notes


def test_a_pickup_in_a_file_that_marks_none_is_found_and_the_melody_kept() -> None:
    # an eighth-note pickup, then long notes on the downbeats: I | IV | V | I, twice
    bars = [(60, 2.0), (64, 2.0), (65, 2.0), (69, 2.0), (67, 2.0), (71, 2.0), (72, 4.0)]
    melody = _melody([(67, 0.5), *bars[:-1], (72, 3.5), (67, 0.5), *bars])
    families, weights, fitted = load_tables()
    prior = fitted["pickup_prior"]
    assert pickup.find_pickup(melody, melody.key, tables=families["major"], weights=weights, prior=prior) == 3.5
    result = recommend_chords(melody)
    assert result.song.melody == melody
    assert any("0.5-beat pickup" in note for note in result.notes)
    assert all(e.onset % 2 == 0.5 for e in result.chords[1:])  # changes fall on the melody's bar and half bar
    placed = _melody([(67, 0.5), *bars], start=3.5)  # a file that marks the pickup is left alone
    assert pickup.find_pickup(placed, placed.key, tables=families["major"], weights=weights, prior=prior) == 0.0


def test_bad_scorer_is_one_clear_error() -> None:
    with pytest.raises(ToolError, match="scorer"):
        recommend_chords(_melody(TWINKLE), scorer="magic")


def _tune(name: str, chords: list[str], key=KeySpec("G", "major")) -> FolkTune:
    pitches = {"G": (67, 71, 74, 71), "C": (72, 76, 79, 76), "D7": (74, 78, 81, 72), "A": (69, 69, 69, 69)}
    notes, events = [], []
    for bar, symbol in enumerate(chords):
        notes += [(p, 1.0) for p in pitches[symbol]]
        events.append(ChordEvent(symbol, bar * 4.0, 4.0))
    song = Song(melody=_melody(notes, key=key), chords=tuple(events))
    return FolkTune(name=name, title=name, split="dev", song=song)


def test_fit_counts_what_the_tunes_do(monkeypatch) -> None:
    monkeypatch.setattr(folk_fit, "MIN_COUNT", 1)
    tunes = [_tune(f"t{i}", ["G", "C", "D7", "G"] * 2) for i in range(3)]
    tables = folk_fit.fit(tunes)["major"]
    assert set(tables.labels) == {"0:maj", "5:maj", "7:7"}
    i = {lab: n for n, lab in enumerate(tables.labels)}
    start = tables.transition["bar"]["start"]
    assert start[i["7:7"]].argmax() == i["0:maj"] and start[i["0:maj"]].argmax() == i["5:maj"]
    assert tables.initial.argmax() == i["0:maj"]
    tonic_row = tables.emission[0, i["0:maj"]]  # downbeat notes under G: G (rel 0) most
    assert tonic_row.argmax() == 0


def test_eval_compares_by_time_from_the_first_note() -> None:
    tune = _tune("x", ["G", "C", "D7", "G"]).song
    assert eval_chords_folk.compare(tune, tune)["root"] == 1.0
    moved = Song(melody=Melody(notes=tuple(Note(n.pitch, n.onset + 1.0, n.duration) for n in tune.melody.notes),
                               meter=tune.melody.meter, key=tune.melody.key),
                 chords=tuple(ChordEvent(c.symbol, c.onset + 1.0, c.duration) for c in tune.chords))
    got = eval_chords_folk.compare(tune, moved)
    assert got["root"] == 1.0 and got["exact"] == 1.0 and got["bar_root"] == 1.0
    wrong = Song(melody=tune.melody, chords=(ChordEvent("G", 0.0, 16.0),))
    assert eval_chords_folk.compare(tune, wrong)["root"] == pytest.approx(0.5)
    assert eval_chords_folk.diatonic_bars(Song(melody=tune.melody))[1].symbol == "C"


def test_the_header_lists_the_chart_as_it_is() -> None:
    result = recommend_chords(_melody(TWINKLE * 2, start=4.0))
    header = result.text().splitlines()[0]
    assert result.chart == result.progressions[0].chart(bars_per_line=64) and header.endswith(result.chart)
    assert result.chart.count("|") == result.song.melody.bars + 1
    assert "up to two chords per bar" in header and "| F C |" in header
    assert "one chord per bar" in recommend_chords(_melody(TWINKLE, start=4.0), per="bar").text().splitlines()[0]


def test_the_folk_chart_takes_the_most_probable_root_of_each_slot() -> None:
    import itertools

    from tunesmith.tools.chords.search import path_score, posteriors, root_path

    rng = np.random.default_rng(3)
    unary, transition = rng.normal(size=(4, 3)), rng.normal(size=(3, 3, 3))
    roots = np.array([0, 7, 7])
    paths = list(itertools.product(range(3), repeat=4))
    weight = np.exp([path_score(unary, transition, list(p)) / 0.7 for p in paths])
    brute = np.array([[weight[[p[t] == c for p in paths]].sum() for c in range(3)] for t in range(4)]) / weight.sum()
    got = posteriors(unary, transition, temperature=0.7)
    assert np.allclose(got, brute)
    chart = root_path(unary, transition, roots, temperature=0.7)
    want = [7 if brute[t, 1:].sum() > brute[t, 0] else 0 for t in range(4)]
    assert [int(roots[c]) for c in chart] == want
    on_roots = [p for p in paths if [int(roots[c]) for c in p] == want]
    assert tuple(chart) == max(on_roots, key=lambda p: path_score(unary, transition, list(p)))


def test_a_rare_chord_borrows_the_melody_table_of_its_quality(monkeypatch) -> None:
    monkeypatch.setattr(folk_fit, "MIN_COUNT", 1)
    tunes = [_tune(f"t{i}", ["G", "C", "D7", "G"] * 2) for i in range(3)] + [_tune("v", ["G", "A", "D7", "G"])]
    pooled = folk_fit.fit(tunes)["major"]
    monkeypatch.setattr(folk_fit, "POOL", 0.0)
    own = folk_fit.fit(tunes)["major"]
    a = pooled.labels.index("2:maj")  # A in G: only A was sung over it; its major third C# (rel 6) never
    beat = folk.CLASSES.index("beat")  # on the other beats G and C have their thirds and fifths
    assert pooled.emission[beat, a, 6] > own.emission[beat, a, 6] + 1.0
    assert pooled.emission[beat, a, 6] > pooled.emission[beat, a, 5]  # C# over A, not C
    assert np.allclose(np.exp(pooled.emission).sum(axis=2), 1.0)
