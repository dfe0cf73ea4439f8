"""tools.facts: the song digest (bars as the score numbers them, chords, lyric lines, hashes) and the
claims of a reply that disagree with it, in English and Chinese."""

from __future__ import annotations

import doctest
import json
from dataclasses import replace

import pytest

from tunesmith.tokenization.music import ChordEvent, KeySpec, Melody, Meter, Note, Song
from tunesmith.tools import facts
from tunesmith.tools.actions.state import SongState, update_settings, with_song
from tunesmith.tools.facts import contradictions, song_digest

from tunes import c_major_tune


def test_doctests() -> None:
    assert doctest.testmod(facts).failed == 0


def chorded(song: Song, symbols: list[str]) -> Song:
    """One chord a bar."""
    bar = song.melody.bar_length
    return replace(song, chords=tuple(ChordEvent(s, i * bar, bar) for i, s in enumerate(symbols)))


def jig_with_pickup() -> Song:
    """6/8 at 174 quarters (dotted quarter = 116): an eighth-note pickup, then two full bars."""
    notes = (Note(62, 2.5, 0.5), *(Note(64 + i % 3, 3.0 + 0.5 * i, 0.5) for i in range(12)))
    melody = Melody(notes=notes, meter=Meter(6, 8), key=KeySpec("D"), tempo=174, bars=3)
    return replace(chorded(Song(melody=melody, title="Jig"), ["D", "D", "G"]), chords=(
        ChordEvent("D", 2.5, 3.5), ChordEvent("G", 6.0, 3.0)))


def test_digest_of_a_song() -> None:
    digest = song_digest(with_song(SongState(), chorded(c_major_tune(), ["C", "F", "C", "G7"])))
    assert digest == {"title": "Tune", "key": "C major", "mode": "major", "meter": "4/4", "tempo": 96, "bars": 4,
                      "pickup": False, "chords": {"1": ["C"], "2": ["F"], "3": ["C"], "4": ["G7"]}, "lyrics": [],
                      "melody": digest["melody"], "rhythm": digest["rhythm"], "notes": 15}
    assert json.loads(json.dumps(digest)) == digest


def test_digest_without_a_song_gives_the_settings() -> None:
    state = update_settings(SongState(), key="E minor", tempo=90, meter="3/4")
    assert song_digest(state) == {"title": None, "key": "E minor", "mode": "minor", "meter": "3/4", "tempo": 90,
                                  "bars": 0, "pickup": False, "chords": {}, "lyrics": [], "melody": None,
                                  "rhythm": None, "notes": 0}


def test_a_pickup_is_bar_0_and_a_held_chord_opens_the_next_bar() -> None:
    digest = song_digest(with_song(SongState(), jig_with_pickup()))
    assert digest["pickup"] and digest["bars"] == 3
    assert digest["chords"] == {"0": ["D"], "1": ["D"], "2": ["G"]}
    assert contradictions("Bar 2 is G and bar 0 is D, 3 bars at 116 bpm.", digest) == []
    assert contradictions("bar 3 is G", digest) == ['says "bar 3 is G", but the song has bars 0-2']
    assert contradictions("It is 2 bars long, dotted quarter = 116, tempo 174.", digest) == []
    assert contradictions("120 bpm", digest) == ['says "120 bpm", but the tempo is 174 quarter notes a minute']


def test_melody_and_rhythm_hashes() -> None:
    song = c_major_tune()
    moved = replace(song, melody=song.melody.transposed(2))
    one, two = (song_digest(with_song(SongState(), s)) for s in (song, moved))
    assert one["melody"] != two["melody"] and one["rhythm"] == two["rhythm"] and two["key"] == "D major"


@pytest.mark.parametrize("lang, theme", [("en", "the sea"), ("zh", "思乡")])
def test_lyric_lines_are_the_lines_write_lyrics_wrote(lang: str, theme: str) -> None:
    from tunesmith.tools.lyrics.write import write_lyrics

    for melisma in (False, "auto"):
        result = write_lyrics(c_major_tune(), theme=theme, lang=lang, seed=4, melisma=melisma)
        lines = song_digest(with_song(SongState(), result.song))["lyrics"]
        assert lines == [line.text for line in result.lines] and len(lines) >= 2


DIGEST = {"key": "D major", "mode": "major", "meter": "4/4", "tempo": 120, "bars": 16, "pickup": False,
          "chords": {"3": ["F"], "4": ["G", "C"], "5": ["Bm"]}, "notes": 40}


@pytest.mark.parametrize("reply", [
    "Done! Bar 3 is now F and the song is still in D major.",
    "It's 16 bars long, in the key of D, at 120 bpm.",
    "I moved it from G major to D major.",
    "It is no longer in A minor.",
    "Want me to try G major? Or bar 3 could be a C.",
    "Jigs are usually played at 116 bpm.",
    "I added 8 more bars; the first 4 bars repeat. Bars 5-8 got new chords.",
    "Bar 4 has G then C, and bar 5 is B minor.",
    "the F chord in bar 3 leads to G",
    "好了，第3小节现在是F，一共16小节，D大调，速度每分钟120拍。",
    "我把第3小节从C改成了F。原来是G大调，现在是D大调。",
    "续写了8小节，现在一共十六小节。",
    "要不要改成G大调？",
    "通常吉格舞曲的速度是116。",
    "bar 3 is a passing tone, not a new chord",
])
def test_replies_that_agree_or_claim_nothing(reply: str) -> None:
    assert contradictions(reply, DIGEST) == []


@pytest.mark.parametrize("reply, finding", [
    ("Now it's in G major.", 'says "G major", but the song is in D major'),
    ("It's in E.", 'says "in E", but the song is in D major'),
    ("Bar 3 is now G7.", 'says "Bar 3 is now G7", but bar 3 has F'),
    ("I changed bar 4 to Am.", 'says "bar 4 to Am", but bar 4 has G C'),
    ("Bar 20 is C.", 'says "Bar 20 is C", but the song has bars 1-16'),
    ("A 12-bar tune.", 'says "12-bar", but the song has 16 bars'),
    ("Sped it up to 140 bpm!", 'says "140 bpm", but the tempo is 120 quarter notes a minute'),
    ("现在是A小调。", 'says "A小调", but the song is in D major'),
    ("第5小节的和弦是G。", 'says "第5小节的和弦是G", but bar 5 has Bm'),
    ("第三小节改成了C", 'says "第三小节改成了C", but bar 3 has F'),
    ("这首曲子一共十二小节。", 'says "十二小节", but the song has 16 bars'),
    ("速度已经调到了140。", 'says "速度已经调到了140", but the tempo is 120 quarter notes a minute'),
    ("现在是140 BPM。", 'says "140 BPM", but the tempo is 120 quarter notes a minute'),
])
def test_replies_that_contradict_the_song(reply: str, finding: str) -> None:
    assert contradictions(reply, DIGEST) == [finding]


def test_several_findings_each_once() -> None:
    found = contradictions("It's in G major, 8 bars, 90 bpm. Yes, G major at 90 bpm.", DIGEST)
    assert found == ['says "G major", but the song is in D major', 'says "8 bars", but the song has 16 bars',
                     'says "90 bpm", but the tempo is 120 quarter notes a minute']


def test_what_the_tool_results_state_is_not_a_finding() -> None:
    knowledge = [{"name": "music_knowledge", "content": "A reel is in 2/2, played at about 112 bpm (half notes)."}]
    assert contradictions("A reel is played at about 112 bpm.", DIGEST, results=knowledge) == []
    assert contradictions("A reel is played at about 112 bpm.", DIGEST) != []
    moved = ["Moved the song from G major to D major (+7); chords and lyrics kept."]
    assert contradictions("It's in G major now.", DIGEST, results=moved) == [
        'says "G major", but the song is in D major']  # the old key the tool named is not the key now


def test_claims_about_a_song_that_does_not_exist() -> None:
    empty = song_digest(SongState())
    assert contradictions("Here is your 16-bar jig in D major!", empty) == [
        'says "D major", but there is no song and no key yet', 'says "16-bar", but there is no song yet']
    assert contradictions("I'll write a jig in D major for you.", empty) == []
    assert contradictions("Tempo set to 90 bpm.", song_digest(update_settings(SongState(), tempo=90))) == []


def test_zh_numbers() -> None:
    assert [facts.zh_number(t) for t in ("八", "十二", "二十四", "六十四", "两", "abc", "十十")] == [8, 12, 24, 64, 2,
                                                                                              None, None]


def test_two_charts_in_one_result_are_two_charts() -> None:
    """'New chords for bars 5-8: | Bb F | F | F | F |. Chords: | ... 8 bars ... |' shows a 4-bar and an
    8-bar chart, not one of 13 bars (the chat's result-facts reply was flagged for it)."""
    from tunesmith.tools.facts import _charts

    text = "New chords for bars 5-8: | Bb F | F | F | F |. Chords: | - | - | - | F#m | Bb F | F | F | F |."
    assert _charts(text) == [4, 8] and _charts("和弦：| C | F G | C |。") == [3]
