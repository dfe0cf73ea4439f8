"""The plain-text terminal view."""

from __future__ import annotations

from tunesmith.tokenization.music import ChordEvent, Melody, Note, Song, Syllable, parse_key, parse_meter
from tunesmith.tokenization.view import chord_chart, header_line, lyrics_text, render_terminal


def song(chords=(), *, lyrics=True, bars=0) -> Song:
    words = [("twin", "begin"), ("kle", "end"), ("twin", "begin"), ("kle", "end"), ("lit", "begin"),
             ("tle", "end"), ("star", "single")]
    pitches = [60, 60, 67, 67, 69, 69, 67]
    notes = tuple(Note(p, i * 1.0, 2.0 if i == 6 else 1.0, Syllable(*words[i]) if lyrics else None)
                  for i, p in enumerate(pitches))
    melody = Melody(notes, meter=parse_meter("4/4"), key=parse_key("C"), tempo=90, bars=bars)
    return Song(melody, tuple(ChordEvent(s, o, d) for s, o, d in chords), title="Twinkle")


def test_chart_four_bars_per_line_with_two_chords_in_a_bar() -> None:
    chords = [("C", 0, 4), ("Am", 4, 4), ("F", 8, 2), ("G", 10, 2), ("C", 12, 4)]
    assert chord_chart(song(chords, bars=4)) == "| C | Am | F G | C |"
    longer = [(s, o, d) for s, o, d in chords] + [("F", 16, 4), ("G", 20, 4)]
    assert chord_chart(song(longer, bars=6)).splitlines() == ["| C | Am | F G | C |", "| F | G |"]


def test_chart_repeats_a_held_chord_and_marks_empty_bars() -> None:
    assert chord_chart(song([("C", 0, 10), ("G7", 10, 2)], bars=4)) == "| C | C | C G7 | - |"
    assert chord_chart(song([("C", 0, 8), ("G7", 10, 2)], bars=4)) == "| C | C | - G7 | - |"


def test_render_has_header_abc_chart_and_lyrics() -> None:
    text = render_terminal(song([("C", 0, 4), ("F", 4, 2), ("C", 6, 2)]))
    assert text.splitlines()[0] == header_line(song()) == "Twinkle (C major, 4/4, 90 bpm, 2 bars)"
    assert '"C"C2 C2 G2 G2 | "F"A2 A2 "C"G4 |\n' in text  # a two-bar tune ends in "|" for music21
    assert "w: twin-kle twin-kle lit-tle star" in text
    assert "Chords:\n| C | F C |" in text
    assert "Lyrics:\ntwinkle twinkle little star" in text
    assert "\x1b[" not in text and "X:" not in text and "K:" not in text


def test_render_without_chords_or_lyrics() -> None:
    text = render_terminal(song(lyrics=False))
    assert "Chords:" not in text and "Lyrics:" not in text and "w:" not in text
    assert lyrics_text(song(lyrics=False)) == ""
