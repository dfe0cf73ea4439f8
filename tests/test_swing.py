"""The dotted feel: the style data, the swing step the melody actions apply, and its measure."""

from __future__ import annotations

import math

import pytest

from tunesmith.eval.metrics import dotted_pair_share, melody_metrics
from tunesmith.tokenization.errors import MusicValueError
from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note, Song
from tunesmith.tokenization.styles import STYLES, _style
from tunesmith.tools.actions.melody import _swung
from tunesmith.tools.melody.compose import MelodyResult
from tunesmith.tools.theory.check import check_melody
from tunesmith.tools.melody.swing import rhythm_pairs, style_swing, swing_melody
from tunesmith.tools.types import Report


def straight(meter: Meter, bars: int, value: float) -> Melody:
    """Even notes of `value` quarters filling `bars` bars, a held final note in the last bar."""
    count = round((bars - 1) * meter.bar_length / value)
    notes = [Note(60 + i % 7, i * value, value) for i in range(count)]
    notes.append(Note(60, count * value, meter.bar_length))
    return Melody(notes=tuple(notes), meter=meter, bars=bars, key=KeySpec("C"))


def test_only_styles_that_declare_a_swing_have_one() -> None:
    swung = {s.name for s in STYLES if s.swing}
    assert swung == {"irish-hornpipe"}
    assert style_swing("irish-reel") is None and style_swing(None) is None


@pytest.mark.parametrize("meter, value", [(Meter(2, 4), 0.25), (Meter(2, 2), 0.5), (Meter(4, 4), 0.5)])
def test_hornpipe_pairs_become_dotted_in_its_meters(meter: Meter, value: float) -> None:
    melody = straight(meter, 4, value)
    out = swing_melody(melody, style="irish-hornpipe")
    assert out.pairs == (len(melody.notes) - 1) // 2 and out.swing == "dotted"
    assert [n.pitch for n in out.melody.notes] == [n.pitch for n in melody.notes]
    assert out.melody.notes[-1] == melody.notes[-1]  # the held ending stays
    firsts, seconds = out.melody.notes[0:-1:2], out.melody.notes[1:-1:2]
    assert all(math.isclose(a.duration, 1.5 * value) and math.isclose(b.duration, 0.5 * value)
               for a, b in zip(firsts, seconds))
    assert all(math.isclose(a.end, b.onset) for a, b in zip(out.melody.notes, out.melody.notes[1:]))
    assert dotted_pair_share(melody) == 0.0 and dotted_pair_share(out.melody) == 1.0


def test_other_rhythms_and_other_styles_stay_as_written() -> None:
    third = 1 / 3
    notes = (Note(60, 0, third), Note(62, third, third), Note(64, 2 * third, third),  # a triplet
             Note(65, 1, 0.25), Note(67, 1.25, 0.5), Note(65, 1.75, 0.25),  # a pair across the pulse
             Note(64, 2, 2))
    melody = Melody(notes=notes, meter=Meter(2, 2), bars=1)
    assert swing_melody(melody, style="irish-hornpipe").pairs == 0
    assert swing_melody(straight(Meter(2, 2), 2, 0.5), style="irish-reel").melody.notes == straight(Meter(2, 2), 2, 0.5).notes
    assert swing_melody(straight(Meter(2, 2), 2, 0.5), style="someones-adapter").pairs == 0


def test_bars_limit_the_swing_to_the_bars_a_tool_wrote() -> None:
    melody = straight(Meter(2, 4), 3, 0.25)
    out = swing_melody(melody, style="hornpipe", bars=frozenset({2}))
    assert out.pairs == 4
    assert all(n.duration == 0.25 for n in out.melody.notes_in_bar(1))
    assert {n.duration for n in out.melody.notes_in_bar(2)} == {0.375, 0.125}


def test_rhythm_pairs_and_share_read_dotted_snapped_and_even_groups() -> None:
    assert rhythm_pairs(straight(Meter(2, 2), 2, 0.5)) == {"even": 4}
    snaps = Melody(notes=(Note(60, 0, 0.25), Note(62, 0.25, 0.75), Note(64, 1, 3)), meter=Meter(4, 4), bars=1)
    assert dotted_pair_share(snaps) == 1.0
    assert math.isnan(dotted_pair_share(Melody(notes=(Note(60, 0, 2), Note(62, 2, 2)), bars=1)))
    assert "dotted_pair_share" in melody_metrics(straight(Meter(2, 4), 2, 0.25))


def test_the_melody_action_writes_the_swing_and_says_so() -> None:
    melody = straight(Meter(2, 4), 2, 0.25)
    result = MelodyResult(song=Song(melody=melody, style="irish-hornpipe"), report=Report(), seed=1, attempts=1,
                          seconds=0.0, estimated_key=KeySpec("C"))
    swung, note = _swung(result, bars=None)
    assert swung.song.melody.notes[0].duration == 0.375 and note.startswith("4 even pairs written dotted")
    # what is shown is what was checked: the report is the swung melody's own, not the empty one given
    assert swung.report == check_melody(swung.song.melody, key=swung.song.melody.key) and swung.report != Report()
    kept, none = _swung(result, bars=frozenset())  # a variation keeps its original's rhythm
    assert kept is result and none == ""
    reel = MelodyResult(song=Song(melody=melody, style="irish-reel"), report=Report(), seed=1, attempts=1,
                        seconds=0.0, estimated_key=KeySpec("C"))
    assert _swung(reel, bars=None) == (reel, "")


def test_a_bad_swing_in_the_style_table_is_a_clear_error() -> None:
    with pytest.raises(MusicValueError, match="swing 'shuffle'"):
        _style({"name": "x", "tempo": 100, "swing": "shuffle"})
    with pytest.raises(MusicValueError, match="swing_span"):
        _style({"name": "x", "tempo": 100, "swing": "dotted", "swing_span": "2"})
