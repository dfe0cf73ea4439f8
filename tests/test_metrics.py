"""Melody metrics (eval/metrics.py) and reference bands (eval/bands.py) on tiny melodies built here."""

from __future__ import annotations

import doctest
import json
import math
import time

import numpy as np
import pytest

from tunesmith.eval import bands, metrics
from tunesmith.eval.metrics import estimate_key, melody_metrics
from tunesmith.tokenization.errors import MusicValueError
from tunesmith.tokenization.m21 import melody_to_score
from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note, Song
from tunesmith.tokenization.records import song_to_record


def line(pitches, *, dur=1.0, meter=Meter(4, 4), start=0.0, durations=None) -> Melody:
    """A melody of consecutive notes."""
    notes, onset = [], start
    for i, pitch in enumerate(pitches):
        length = durations[i % len(durations)] if durations else dur
        notes.append(Note(pitch, onset, length))
        onset += length
    return Melody(notes=tuple(notes), meter=meter)


C_SCALE = [60, 62, 64, 65, 67, 69, 71, 72]
# "Twinkle" (C major) and a D-minor tune with a raised 7th, a pickup and a tie over the bar line
TWINKLE = [60, 60, 67, 67, 69, 69, 67, 65, 65, 64, 64, 62, 62, 60]
D_MINOR = Melody(notes=(
    Note(57, 3.0, 1.0), Note(62, 4.0, 1.5), Note(64, 5.5, 0.5), Note(65, 6.0, 1.0), Note(67, 7.0, 2.0),
    Note(65, 9.0, 1.0), Note(64, 10.0, 1.0), Note(61, 11.0, 1.0), Note(62, 12.0, 4.0),
), meter=Meter(4, 4))
TRIPLETS = line([67, 69, 71, 72, 71, 69, 67, 66, 67, 62, 59, 55], durations=[1 / 3, 1 / 3, 1 / 3, 1.0],
                meter=Meter(3, 4))


@pytest.mark.parametrize("module", [metrics, bands])
def test_doctests(module) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("melody", [line(C_SCALE), line(TWINKLE), D_MINOR, TRIPLETS, line([60, 64, 67, 72] * 3),
                                    line([61, 63, 66, 68, 70] * 2, dur=0.5), line([60])])
def test_key_estimate_matches_music21(melody: Melody) -> None:
    found = melody_to_score(melody).analyze("key")
    mine = estimate_key(melody)
    assert (found.tonic.pitchClass, found.mode) == (mine.key.pitch_class, mine.key.mode)
    assert mine.clarity == pytest.approx(found.correlationCoefficient, abs=1e-9)


def test_key_estimate_reads_the_examples() -> None:
    assert estimate_key(line(TWINKLE)).key == KeySpec("C")
    assert estimate_key(D_MINOR).key == KeySpec("D", "minor")
    with pytest.raises(MusicValueError):
        estimate_key(Melody(notes=()))


def test_interval_profile_literals() -> None:
    scale = melody_metrics(line(C_SCALE))
    assert scale["step_ratio"] == 1.0 and scale["repeat_ratio"] == 0.0 and scale["leap_ratio"] == 0.0
    assert scale["pitch_range"] == 12.0 and math.isnan(scale["leap_recovery"])
    arpeggio = melody_metrics(line([60, 64, 67, 72, 67, 64, 60]))
    assert arpeggio["step_ratio"] == 0.0
    assert arpeggio["mean_abs_interval"] == pytest.approx(24 / 6)
    assert arpeggio["leap_ratio"] == pytest.approx(2 / 6)  # the two fourths (5 semitones)
    assert arpeggio["large_leap_ratio"] == 0.0
    # a leap up then a step down is recovered; a leap up then up again is not
    assert metrics.interval_profile(line([60, 67, 65, 72, 74]))["leap_recovery"] == 0.5
    assert metrics.interval_profile(line([60, 60, 62]))["repeat_ratio"] == 0.5


def test_pitch_entropies() -> None:
    assert melody_metrics(line([60] * 8))["pitch_class_entropy"] == 0.0
    chromatic = line(list(range(60, 72)), dur=0.25)
    assert metrics.pitch_class_entropy(chromatic) == pytest.approx(math.log2(12))
    # four bars, each one repeated pitch: H1 = 0; the 4-bar window holds 4 equal classes: H4 = 2
    blocks = line([60] * 4 + [62] * 4 + [64] * 4 + [65] * 4)
    assert metrics.windowed_pitch_entropy(blocks, bars=1) == 0.0
    assert metrics.windowed_pitch_entropy(blocks, bars=4) == 2.0
    # windows longer than the piece shrink to the piece
    assert metrics.windowed_pitch_entropy(line([60, 62]), bars=4) == 1.0


def test_scale_and_key_ratios() -> None:
    assert metrics.scale_consistency(line(C_SCALE)) == 1.0
    assert metrics.scale_consistency(line(list(range(60, 72)))) == pytest.approx(7 / 12)
    dm = estimate_key(D_MINOR)
    assert metrics.in_key_ratio(D_MINOR, dm.key) == 1.0  # C# is the raised 7th
    assert metrics.in_key_ratio(line([60, 61]), KeySpec("C")) == 0.5
    assert melody_metrics(D_MINOR)["ends_on_tonic"] == 1.0
    assert melody_metrics(line(TWINKLE[:-1]))["ends_on_tonic"] == 0.0


def test_requested_key_adherence() -> None:
    twinkle = line(TWINKLE)
    assert melody_metrics(twinkle, requested=KeySpec("C"))["key_match"] == 1.0
    assert melody_metrics(twinkle, requested=KeySpec("A", "minor")) == {
        **melody_metrics(twinkle), "key_match": 0.0, "key_match_lenient": 1.0}
    assert melody_metrics(twinkle, requested=KeySpec("C", "mixolydian"))["key_match"] == 1.0
    assert melody_metrics(twinkle, requested=KeySpec("F#"))["key_match_lenient"] == 0.0
    assert "key_match" not in melody_metrics(twinkle)


def test_groove_metrics() -> None:
    same = line([60, 62, 64, 65] * 4)
    assert melody_metrics(same)["groove_consistency"] == 1.0
    assert melody_metrics(same)["grooving_similarity"] == 1.0
    # bar 1 quarters (4 onsets), bar 2 eighths (8 onsets): they differ in 4 of 16 slots
    mixed = line([60] * 4 + [62] * 8, durations=[1.0] * 4 + [0.5] * 8)
    grid = metrics.onset_grid(mixed)
    assert grid.shape == (2, 16) and grid.sum() == 12
    assert metrics.groove_consistency(grid) == 0.75 and metrics.grooving_similarity(grid) == 0.75
    six_eight = metrics.onset_grid(line([60] * 6, dur=1.5, meter=Meter(6, 8)))
    assert six_eight.shape == (3, 12)
    assert math.isnan(metrics.groove_consistency(metrics.onset_grid(line([60, 62]))))


def test_repetition_metrics() -> None:
    motif = line([60, 62, 64, 60] * 4)
    assert melody_metrics(motif)["interval_4gram_repeat_share"] == 1.0
    assert melody_metrics(motif)["bar_repetition"] == 0.75
    assert metrics.ngram_repeat_share(line(C_SCALE)) == 0.0
    # bar 2 is bar 1 a tone higher: a repeat only when transposition is ignored
    sequence = line([60, 62, 64, 65, 62, 64, 66, 67])
    assert metrics.bar_repetition(sequence) == 0.0
    assert metrics.bar_repetition(sequence, transposed=True) == 0.5


def test_distribution_overlap() -> None:
    twinkle = line(TWINKLE)
    reference = metrics.mean_histograms([twinkle, twinkle.transposed(12)])  # folding: 72-83 stays apart
    assert metrics.pitch_histogram(twinkle).sum() == pytest.approx(1.0)
    assert metrics.distribution_overlap(twinkle, reference) == {"pitch_oa": pytest.approx(0.5), "duration_oa": 1.0}
    low = twinkle.transposed(-24)  # folds up into 60-71, the same histogram
    assert metrics.overlap(metrics.pitch_histogram(low), metrics.pitch_histogram(twinkle)) == pytest.approx(1.0)
    dotted = line([60, 62, 64, 65], durations=[1.5, 0.5])
    assert metrics.duration_histogram(dotted) == {"3": 0.5, "1": 0.5}


def test_sixteen_bars_are_fast() -> None:
    rng = np.random.default_rng(1)
    melody = line([int(p) for p in 60 + rng.integers(-7, 8, size=96)], durations=[1.0, 0.5, 0.5, 1.0, 1.0])
    assert melody.bars >= 16
    melody_metrics(melody)  # loads music21's profiles once
    start = time.perf_counter()
    for _ in range(20):
        melody_metrics(melody)
    assert (time.perf_counter() - start) / 20 < 0.05


def test_controls_keep_the_rhythm() -> None:
    rng = np.random.default_rng(0)
    melody = line(TWINKLE * 2)
    shuffled = bands.shuffled_pitches(melody, rng)
    assert sorted(n.pitch for n in shuffled.notes) == sorted(n.pitch for n in melody.notes)
    assert [(n.onset, n.duration) for n in shuffled.notes] == [(n.onset, n.duration) for n in melody.notes]
    noise = bands.random_pitches(melody, rng)
    assert all(60 <= n.pitch <= 69 for n in noise.notes)
    assert melody_metrics(shuffled)["pitch_class_entropy"] == melody_metrics(melody)["pitch_class_entropy"]


def _record(melody: Melody, index: int, styles: list[str]) -> dict:
    return song_to_record(Song(melody=melody.transposed(index % 5)), record_id=f"t/{index}", source=f"test/{index}",
                          styles=styles)


def test_compute_bands_and_lookup(tmp_path) -> None:
    tunes = [line(TWINKLE), D_MINOR, line(C_SCALE + C_SCALE[::-1]), TRIPLETS, line([60, 64, 67, 72, 71, 67, 62, 60])]
    records = [_record(t, i, ["chinese-han-erge"] if i % 2 else ["irish-reel"]) for i, t in enumerate(tunes * 2)]
    records.append({"notes": [], "bars": 1})  # unreadable: counted as skipped
    result = bands.compute_bands(records, processes=1, progress=False)
    assert result["skipped"] == 1
    assert set(result["styles"]) == {"chinese-han-erge", "chinese-han", "irish-reel"}
    han = result["styles"]["chinese-han"]
    assert han["n"] == result["styles"]["chinese-han-erge"]["n"] == 5
    real = han["real"]
    assert set(real) >= {"step_ratio", "pitch_oa", "duration_oa", "groove_consistency", "in_key_ratio"}
    assert real["step_ratio"]["p10"] <= real["step_ratio"]["p50"] <= real["step_ratio"]["p90"]
    # shuffling keeps the pitch histogram and the rhythm, so those bands do not move
    assert han["shuffled"]["pitch_class_entropy"] == real["pitch_class_entropy"]
    assert han["shuffled"]["duration_oa"] == real["duration_oa"]
    assert len(han["reference"]["pitch"]) == 24
    path = tmp_path / "bands.json"
    path.write_text(json.dumps(result))
    loaded = bands.load_bands(path)
    middle = real["step_ratio"]["p50"]
    assert bands.within_band("erge", "step_ratio", middle, bands=loaded)
    assert not bands.within_band("chinese-han", "step_ratio", real["step_ratio"]["p90"] + 0.1, bands=loaded)
    assert not bands.within_band("chinese-han", "step_ratio", float("nan"), bands=loaded)
    with pytest.raises(MusicValueError):
        bands.within_band("bach-chorale", "step_ratio", 0.5, bands=loaded)
    with pytest.raises(MusicValueError):
        bands.within_band("irish-reel", "no_such_metric", 0.5, bands=loaded)


def test_small_genres_borrow_the_parent_band() -> None:
    def group(n: int, low: float, high: float) -> dict:
        return {"n": n, "real": {"step_ratio": {"mean": (low + high) / 2, "p10": low, "p50": low, "p90": high}}}

    made = {"styles": {"chinese-han-erge": group(2, 0.1, 0.2), "chinese-han": group(50, 0.3, 0.6),
                       "irish-slip-jig": group(3, 0.1, 0.2)}}
    assert bands.within_band("erge", "step_ratio", 0.5, bands=made)
    assert not bands.within_band("erge", "step_ratio", 0.15, bands=made)
    assert bands.within_band("erge", "step_ratio", 0.15, bands=made, min_n=1)
    assert bands.within_band("slip-jig", "step_ratio", 0.15, bands=made)  # no parent: its own band
    assert bands.style_band("chinese-han-erge", "step_ratio", bands=made)["p90"] == 0.6


def test_style_groups_add_parents() -> None:
    both = ["chinese-han", "chinese-han-shange"]
    assert bands.style_groups({"styles": both}) == both
    assert bands.style_groups({"styles": ["chinese-han-xiaodiao"]}) == ["chinese-han-xiaodiao", "chinese-han"]
    assert bands.style_groups({"styles": ["my-own-style"]}) == ["my-own-style"]


def test_committed_bands_separate_real_from_controls() -> None:
    if not bands.BANDS_PATH.exists():
        pytest.skip("reference_bands.json not generated yet")
    loaded = bands.load_bands()
    assert loaded["styles"] and loaded["corpus_stats_hash"]
    for name, band in loaded["styles"].items():
        if band["n"] < 30:
            continue
        real, shuffled = band["real"], band["shuffled"]
        assert real["step_ratio"]["mean"] > shuffled["step_ratio"]["mean"], name
        assert real["interval_4gram_repeat_share"]["mean"] > shuffled["interval_4gram_repeat_share"]["mean"], name
    reference = bands.reference_histograms("german-folk", bands=loaded)
    assert reference[0].sum() == pytest.approx(1.0, abs=1e-3)
    assert 0.0 < metrics.distribution_overlap(line(TWINKLE), reference)["pitch_oa"] <= 1.0
