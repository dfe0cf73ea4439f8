"""Chord styles as data (tools/chords/chord_styles.toml): folk as fitted, pop and jazz-lite bent."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from tunesmith.eval import eval_chord_styles
from tunesmith.tokenization.music import ChordEvent, KeySpec, Melody, Meter, Note
from tunesmith.tools.chords import chord_styles
from tunesmith.tools.chords.chord_styles import Bend, bend_tables, find_style, style_for
from tunesmith.tools.chords.folk import load_tables
from tunesmith.tools.chords.recommend import recommend_chords
from tunesmith.tools.chords.vocab import CHORALE, LEAD_SHEET, style_family
from tunesmith.tools.errors import ToolError

TWINKLE = [(p, 1.0) for p in (60, 60, 67, 67, 69, 69)] + [(67, 2.0)] + \
          [(p, 1.0) for p in (65, 65, 64, 64, 62, 62)] + [(60, 2.0)]


def _melody(pitches_durations, *, key=KeySpec("C", "major")) -> Melody:
    notes, onset = [], 0.0
    for pitch, duration in pitches_durations:
        notes.append(Note(pitch, onset, duration))
        onset += duration
    return Melody(notes=tuple(notes), meter=Meter(4, 4), key=key)


def test_doctests() -> None:
    assert doctest.testmod(eval_chord_styles).failed == 0


def test_the_table_names_every_chord_of_a_fitted_family_or_a_twin() -> None:
    families, _, _ = load_tables()
    styles = chord_styles.chord_styles()
    assert [s.name for s in styles] == ["folk", "pop", "jazz-lite", "bach-chorale"]
    for style in styles:
        for family, bend in style.bends.items():
            known = set(families[family].labels) | {new for new, _ in bend.twins}
            assert {old for _, old in bend.twins} <= set(families[family].labels), (style.name, family)
            assert {lab for lab, _ in bend.label_bias} <= known, (style.name, family)
            assert {x for a, b, _ in bend.transition_bias for x in (a, b)} <= known, (style.name, family)


def test_folk_is_the_fitted_tables_and_a_bend_adds_twins_that_copy_them() -> None:
    tables = load_tables()[0]["major"]
    assert style_for("folk", LEAD_SHEET).bends == {} and bend_tables(tables, None) is tables
    assert style_for("irish-reel", LEAD_SHEET).name == "folk" and style_for("chorale", CHORALE).scorer == "rules"
    bent = bend_tables(tables, Bend(twins=(("0:maj7", "0:maj"),), label_bias=(("9:min", 1.0),),
                                    transition_bias=(("2:min", "7:7", 0.5),)))
    i, twin, vi = tables.labels.index("0:maj"), bent.labels.index("0:maj7"), tables.labels.index("9:min")
    assert bent.labels[: len(tables.labels)] == tables.labels and np.array_equal(bent.emission[:, twin], tables.emission[:, i])
    start, fitted = bent.transition["half"]["start"], tables.transition["half"]["start"]
    assert start[twin, twin] == pytest.approx(fitted[i, i])
    assert start[i, vi] == pytest.approx(fitted[i, vi] + 1.0) and bent.initial[vi] == pytest.approx(tables.initial[vi] + 1.0)
    ii, v = tables.labels.index("2:min"), tables.labels.index("7:7")
    assert start[ii, v] == pytest.approx(fitted[ii, v] + 0.5)


def test_the_styles_give_different_charts_of_one_melody() -> None:
    melody = _melody(TWINKLE * 2)
    charts = {s: recommend_chords(melody, style=s).chords for s in ("folk", "pop", "jazz-lite")}
    assert any(c.symbol == "G7" for c in charts["folk"])
    assert not any(c.symbol.endswith("7") for c in charts["pop"])  # pop plays V, not V7
    sevenths = [c for c in charts["jazz-lite"] if c.symbol.endswith(("7", "maj7"))]
    assert len(sevenths) >= len(charts["jazz-lite"]) - 1 and charts["jazz-lite"] != charts["folk"]


def test_pop_colours_with_vi_where_folk_keeps_the_tonic() -> None:
    # E, C, D, E, G, E, C held a bar each: under E either I or vi fits; pop's vi colour takes it
    melody = _melody([(64, 4.0), (60, 2.0), (64, 2.0), (60, 4.0), (62, 4.0), (64, 4.0), (67, 4.0), (64, 4.0),
                      (60, 4.0)])
    key = KeySpec("C", "major")
    pop = eval_chord_styles.describe(recommend_chords(melody, style="pop").chords, key, bars=8)
    folk = eval_chord_styles.describe(recommend_chords(melody, style="folk").chords, key, bars=8)
    assert pop["vi"] > folk["vi"] and pop["sevenths"] == 0.0 < folk["sevenths"]


def test_style_names_and_a_bad_one() -> None:
    assert find_style("Jazz") is find_style("jazz-lite") and style_family("jazz-lite") == LEAD_SHEET
    assert style_family("bach") == CHORALE and find_style("polka") is None
    with pytest.raises(ToolError, match="jazz-lite"):
        style_family("polka")


def test_describe_reads_ii_as_a_minor_chord() -> None:
    got = eval_chord_styles.describe([ChordEvent("D7", 0, 4), ChordEvent("G7", 4, 4)], KeySpec("C", "major"), bars=2)
    assert got["ii"] == 0.0 and got["ii-V"] == 0.0 and got["sevenths"] == 1.0


def test_progressions_without_a_melody_follow_the_style_too() -> None:
    from tunesmith.tools.chords.progressions import progressions

    def charts(style: str | None) -> list[tuple[str, ...]]:
        return [p.symbols for p in progressions("C", style=style, bars=8, k=3)]

    assert charts("folk") == charts(None)  # folk has no bends: the prior as it was
    jazz = [s for chart in charts("jazz-lite") for s in chart]
    assert sum(s.endswith("7") for s in jazz) > 0.7 * len(jazz)
    assert any(a == "Dm7" and b == "G7" for chart in charts("jazz-lite") for a, b in zip(chart, chart[1:]))
    assert not any(s.endswith("7") for chart in charts("pop") for s in chart)
    minor_jazz = [s for p in progressions("A minor", style="jazz-lite", bars=8, k=3) for s in p.symbols]
    assert "Bm7b5" in minor_jazz and "E7" in minor_jazz
