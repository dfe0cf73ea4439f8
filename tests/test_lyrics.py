"""Lyrics: slots, the English and Mandarin fitters, the non-neural drafters, write_lyrics, sheet, CLI, eval."""

from __future__ import annotations

import pytest

from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note, Song, Syllable
from tunesmith.tools.lyrics import en as lyrics_en
from tunesmith.tools.lyrics import en
from tunesmith.tools.lyrics import zh as lyrics_zh
from tunesmith.tools.lyrics import zh
from tunesmith.tools.errors import ToolError
from tunesmith.tools.lyrics.write import scheme_groups, write_lyrics
from tunesmith.tools.lyrics.drafter_zh import PoetryDrafter
from tunesmith.tools.lyrics.drafters import LexiconDrafter
from tunesmith.tools.lyrics.lexicon import ADVERBS, AUXILIARIES, CONJUNCTIONS, DETERMINERS, PREPOSITIONS, SUBJECTS, themes
from tunesmith.tools.lyrics.slots import Phrase, Slot, beat_strength, lyric_slots, melody_phrases


def build(spec: list[tuple[int | None, float]], *, meter: Meter = Meter(4, 4), start: float = 0.0) -> Melody:
    """Notes from (pitch, quarters); pitch None is a rest."""
    notes, t = [], start
    for pitch, length in spec:
        if pitch is not None:
            notes.append(Note(pitch, t, length))
        t += length
    return Melody(notes=tuple(notes), meter=meter, key=KeySpec("C"))


# Four 2-bar phrases in 4/4, each ending on a half note then a quarter rest.
PHRASE = [(60, 1), (62, 1), (64, 1), (65, 1), (67, 1), (65, 1), (64, 2)]
SONG = build(PHRASE + [(60, 1), (62, 1), (64, 1), (65, 1), (67, 2), (None, 2)]
             + [(67, 1), (65, 1), (64, 1), (62, 1), (60, 2), (None, 2)]
             + [(64, 1), (64, 1), (65, 1), (67, 1), (72, 2), (None, 2)]
             + [(71, 1), (69, 1), (67, 1), (65, 1), (64, 1), (62, 1), (60, 2)])


def phrase_of(strengths: list[float], pitches: list[int] | None = None) -> Phrase:
    pitches = pitches or [60] * len(strengths)
    return Phrase(tuple(Slot((i,), float(i), 1.0, p, s) for i, (s, p) in enumerate(zip(strengths, pitches))), "end")


@pytest.mark.parametrize("meter", ["2/4", "3/4", "4/4", "6/8", "9/8", "12/8", "2/2", "5/4", "3/8"])
def test_beat_strength_matches_music21(meter):
    from music21 import meter as m21meter, note, stream

    from tunesmith.tokenization.music import parse_meter

    melody = Melody(notes=(), meter=parse_meter(meter), bars=1)
    for k in range(int(melody.bar_length * 4)):
        bar = stream.Measure()
        bar.append(m21meter.TimeSignature(meter))
        n = note.Note()
        bar.insert(k / 4, n)
        assert beat_strength(k / 4, melody) == pytest.approx(n.beatStrength), (meter, k / 4)


def test_phrases_split_at_rests_and_join_a_pickup():
    melody = build([(None, 3), (55, 1), *PHRASE, (None, 1), *PHRASE])
    phrases = melody_phrases(melody)
    assert [p.syllables for p in phrases] == [8, 7]
    assert phrases[0].slots[0].strength == 0.25 and phrases[0].slots[1].downbeat
    assert phrases[0].end == "rest" and phrases[1].end == "end"
    assert phrases[0].stress_pattern() == "24232423"
    assert phrases[0].contour().split()[0] == "+5"


def test_long_run_is_cut_within_max_syllables():
    melody = build([(60 + (i % 5), 0.5) for i in range(40)])
    phrases = melody_phrases(melody, max_syllables=10)
    assert sum(p.syllables for p in phrases) == 40
    assert all(4 <= p.syllables <= 10 for p in phrases)


def test_melisma_on_asked_notes_and_auto():
    melody = build([(60, 1), (62, 0.5), (64, 0.5), (65, 2)])
    slots = melody_phrases(melody, melisma={2}, min_syllables=1)[0].slots
    assert [s.notes for s in slots] == [(0,), (1, 2), (3,)]
    auto = build([(60, 1), (62, 0.5), (64, 1.5), (65, 1)])
    assert [s.notes for s in melody_phrases(auto, melisma="auto", min_syllables=1)[0].slots] == [(0, 1), (2,), (3,)]
    with pytest.raises(ToolError):
        melody_phrases(melody, melisma={0})
    with pytest.raises(ToolError):
        melody_phrases(Melody(notes=(), bars=1))


def test_english_dictionary_helpers():
    assert en.stress_patterns("melody") == ("100",)
    assert set(en.stress_patterns("record")) == {"10", "01"}
    assert en.stress_patterns("our")[0] == "0"  # a function word is sung short
    assert en.rhymes("home", "roam") and not en.rhymes("home", "home") and not en.rhymes("home", "hand")
    assert en.split_syllables("together", 3) == ["to", "geth", "er"]


def test_fit_line_accepts_good_stress_and_rejects_bad():
    strong_weak = phrase_of([1.0, 0.25, 0.5, 0.25, 1.0])
    good = en.fit_line("Morning light is gone", strong_weak)
    assert good.ok and good.syllables == 5 and good.stress_score == 1.0
    bad = en.fit_line("Away we wander now", phrase_of([1.0, 0.25, 0.5, 0.25, 1.0, 0.25]))
    assert not bad.ok and "stress of 'Away' falls on a weak beat" in bad.problems
    downbeat = en.fit_line("The morning light", phrase_of([1.0, 0.5, 0.25, 1.0]))
    assert any("function word 'The'" in p for p in downbeat.problems)
    assert en.fit_line("Morning light is", strong_weak).problems == ("4 syllables for 5 notes",)
    assert "dictionary" in en.fit_line("Xqzzyv light", phrase_of([1.0, 0.5])).problems[0]


def test_lexicon_words_are_all_in_cmudict():
    words = set(SUBJECTS + PREPOSITIONS + CONJUNCTIONS + AUXILIARIES + ADVERBS) | {w for w, _ in DETERMINERS}
    for row in themes():
        words |= set(row.nouns) | set(row.adjectives)
        words |= {w for pair in row.verbs_intransitive + row.verbs_transitive for w in pair}
        assert all(len(zh.han_chars(c)) == 1 for c in row.han)
    assert [w for w in words if not en.stress_patterns(w)] == []


def test_lexicon_drafter_fits_pattern_rhyme_and_seed():
    drafter = LexiconDrafter()
    pattern = "24232423"
    phrase = phrase_of([{4: 1.0, 3: 0.5, 2: 0.25}[int(d)] for d in pattern])
    lines = drafter.draft_line(theme="leaving home", syllables=8, stress_pattern=pattern, rhyme_with="road",
                               lang="en", seed=5)
    assert lines
    for line in lines:
        assert en.fit_line(line, phrase).ok, line
        assert en.rhymes(en.words_of(line)[-1], "road")
    again = drafter.draft_line(theme="leaving home", syllables=8, stress_pattern=pattern, rhyme_with="road",
                               lang="en", seed=5)
    other = drafter.draft_line(theme="leaving home", syllables=8, stress_pattern=pattern, rhyme_with="road",
                               lang="en", seed=6)
    assert again == lines and other != lines


def test_mandarin_tones_rhyme_and_agreement():
    assert zh.tones("妈麻马骂吗") == [1, 2, 3, 4, 5]
    assert zh.zh_rhymes("明月光", "思故乡") and not zh.zh_rhymes("明月光", "白日依")
    # tone 3 (low) to tone 1 (high) wants the melody to rise
    assert zh.pair_agrees(3, 1, 3) and not zh.pair_agrees(3, 1, -3)
    rising = phrase_of([1.0, 0.25, 0.5, 0.25], [60, 62, 64, 67])
    assert zh.fit_line("我来天飞", rising).ok  # 3 2 1 1: up, up, level-ish
    falling = zh.fit_line("天飞我马", rising)  # 1 1 3 3: wants down and gets up
    assert not falling.ok and falling.agreement < 0.6
    assert "3 characters for 4 notes" in zh.fit_line("天飞我", rising).problems[0]


def test_poetry_drafter_on_given_text_fits_tones_and_rhyme():
    text = ["床前明月光", "疑是地上霜", "举头望明月", "低头思故乡", "春眠不觉晓", "处处闻啼鸟", "夜来风雨声",
            "花落知多少", "白日依山尽", "黄河入海流", "欲穷千里目", "更上一层楼"]
    drafter = PoetryDrafter(segments=text)
    contour = "+2 -2 +3 0 -1"
    lines = drafter.draft_line(theme="月", syllables=6, stress_pattern="423242", rhyme_with="光", lang="zh",
                               seed=1, contour=contour)
    assert lines and all(len(line) == 6 for line in lines)
    assert all(zh.rhyme_class(line[-1]) == zh.rhyme_class("光") for line in lines)
    assert drafter.source() == "given text"


def test_scheme_groups():
    assert scheme_groups("ABAB", 5) == ["A0", "B0", "A0", "B0", "A1"]
    assert scheme_groups("none", 2) == [None, None]
    with pytest.raises(ToolError):
        scheme_groups("AB-1", 4)


def test_write_lyrics_english_song_carries_fitting_syllables():
    song = Song(melody=SONG, title="Test")
    result = write_lyrics(song, theme="leaving home", lang="en", rhyme="AABB", seed=3)
    notes = result.song.melody.notes
    assert len(result.lines) == len(result.phrases) == 5
    for phrase, line in zip(result.phrases, result.lines):
        assert en.fit_line(line.text, phrase).ok
        assert [notes[s.notes[0]].lyric.text for s in phrase.slots] == [t for t, _ in line.syllables]
    last = [en.words_of(line.text)[-1] for line in result.lines]
    assert en.rhymes(last[0], last[1]) and en.rhymes(last[2], last[3])
    assert write_lyrics(song, theme="leaving home", seed=3).text() == result.text()
    assert result.song.title == "Test" and result.seed == 3


def test_write_lyrics_melisma_marks_extend():
    melody = build([(60, 1), (62, 0.5), (64, 0.5), (65, 1), (67, 1), (65, 1), (64, 1), (62, 2)])
    result = write_lyrics(melody, theme="love", rhyme="X", seed=2, melisma={2})
    notes = result.song.melody.notes
    assert notes[1].lyric.extend and notes[2].lyric is None
    assert sum(n.lyric is not None for n in notes) == 7


def test_write_lyrics_mandarin():
    result = write_lyrics(SONG, theme="离家", lang="zh", rhyme="AABB", seed=4,
                          drafter=PoetryDrafter(segments=["床前明月光", "疑是地上霜", "举头望明月", "低头思故乡",
                                                          "独在异乡为异客", "每逢佳节倍思亲", "春风又绿江南岸",
                                                          "明月何时照我还", "白日依山尽", "黄河入海流"]))
    for phrase, line in zip(result.phrases, result.lines):
        assert len(line.text) == phrase.syllables and line.score >= zh.MIN_AGREEMENT
    assert zh.zh_rhymes(result.lines[0].text, result.lines[1].text)
    assert all(n.lyric is not None and n.lyric.syllabic == "single" for n in result.song.melody.notes)


class _Canned:
    name = "test"

    def __init__(self, lines):
        self.lines = lines

    def draft_line(self, **kwargs):
        return list(self.lines)


def test_drafter_is_a_plugin_and_misfits_never_come_back():
    melody = build([(60, 1), (62, 1), (64, 1), (65, 1), (67, 4)])
    fits = write_lyrics(melody, theme="x", rhyme="X", seed=1, drafter=_Canned(["Away the river", "Morning on the sea"]))
    assert fits.text() == "Morning on the sea" and fits.drafter == "test"
    with pytest.raises(ToolError, match="could not fit line 1"):
        write_lyrics(melody, theme="x", rhyme="X", seed=1, drafter=_Canned(["The cat", "Away away away"]))
    with pytest.raises(ToolError, match="language"):
        write_lyrics(melody, theme="x", lang="fr")


def test_sheet_and_extenders_only_after_a_word(tmp_path):
    import xml.etree.ElementTree as ET

    from tunesmith.tokenization.files import musicxml_bytes
    from tunesmith.tools.lyrics.sheet import lyric_sheet

    melody = build([(60, 1), (62, 0.5), (64, 0.5), (65, 1), (67, 1), (65, 1), (64, 1), (62, 2)])
    result = write_lyrics(melody, theme="love", rhyme="X", seed=2, melisma={2})
    sheet = lyric_sheet(result.song, result.phrases)
    assert "C4" in sheet and "_" in sheet and result.lines[0].syllables[0][0] in sheet
    held = [n.lyric.syllabic for n in result.song.melody.notes if n.lyric is not None and n.lyric.extend]
    lyrics = ET.fromstring(musicxml_bytes(result.song)).iter("lyric")
    extended = [ly.findtext("syllabic") for ly in lyrics if ly.find("extend") is not None]
    assert held and extended == [k for k in held if k in ("single", "end")]  # "wa-ter", never "wa___ter"


def test_cli_writes_files(tmp_path):
    import typer
    from typer.testing import CliRunner

    from tunesmith.agent.cli_lyrics import lyrics

    source = tmp_path / "air.abc"
    source.write_text("X:1\nT:Air\nM:3/4\nL:1/8\nK:G\nD2|G2 G2 AB|c2 B2 A2|G2 E2 D2|G4 z2|"
                      "B2 B2 cd|e2 d2 B2|c2 B2 A2|G4 z2|]\n")
    app = typer.Typer()
    app.command()(lyrics)
    app.command("other")(lambda: None)
    out = tmp_path / "out"
    run = CliRunner().invoke(app, ["lyrics", str(source), "--theme", "the sea", "--seed", "4", "--out", str(out),
                                   "--drafter", "rules"])  # the model drafter: tests/test_lyrics_model.py
    assert run.exit_code == 0, run.output
    assert "Lyrics:" in run.output and "wrote abc" in run.output and "drafter: rules" in run.output
    abc = next(out.glob("*.abc")).read_text()
    assert "w:" in abc


def test_eval_measures_real_layout():
    from tunesmith.eval.eval_lyrics import stress_measures

    syll = [("The", "single"), ("mor", "begin"), ("ning", "end"), ("light", "single")]
    notes = [Note(60 + i, float(i), 1.0, Syllable(t, k)) for i, (t, k) in enumerate(syll)]
    measures = stress_measures(Melody(notes=tuple(notes), meter=Meter(4, 4)))
    # 'The' on the downbeat, 'morning' with its stress (0.25) weaker than 'ning' (0.5)
    assert measures["function_downbeat"] == [1, 1] and measures["sba"] == [0, 1]
    assert lyric_slots(Melody(notes=tuple(notes), meter=Meter(4, 4)))[1].strength == 0.25


def test_doctests():
    import doctest

    from tunesmith.tools.lyrics import write as lyrics
    from tunesmith.tools.lyrics import drafter_zh as lyrics_drafter_zh
    from tunesmith.tools.lyrics import drafters as lyrics_drafters
    from tunesmith.tools.lyrics import lexicon as lyrics_lexicon
    from tunesmith.tools.lyrics import sheet as lyrics_sheet
    from tunesmith.tools.lyrics import slots as lyrics_slots

    for module in (lyrics, lyrics_en, lyrics_zh, lyrics_slots, lyrics_lexicon, lyrics_sheet, lyrics_drafters,
                   lyrics_drafter_zh):
        result = doctest.testmod(module)
        assert result.failed == 0, module.__name__


def test_cli_llm_drafter_needs_a_bigger_model(tmp_path, monkeypatch, capsys):
    import pytest

    from tunesmith.agent.cli import main

    source = tmp_path / "air.abc"
    source.write_text("X:1\nT:Air\nM:3/4\nL:1/8\nK:G\nD2|G2 G2 AB|c2 B2 A2|G2 E2 D2|G4 z2|]\n")
    for name, value in {"TUNESMITH_HOME": tmp_path / "home", "TUNESMITH_OUT": tmp_path / "out",
                        "TUNESMITH_MODEL": "embedded"}.items():
        monkeypatch.setenv(name, str(value))
    with pytest.raises(SystemExit) as stopped:
        main(["lyrics", str(source), "--drafter", "llm"])
    assert stopped.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--drafter llm needs a bigger chat model" in err[0]


def test_each_drafted_line_sees_the_line_before():
    """The fitter hands a drafter the line it fitted last, so a drafter can follow on from it."""
    class Recording(_Canned):
        def __init__(self, lines):
            super().__init__(lines)
            self.previous = []

        def draft_line(self, **kwargs):
            self.previous.append(kwargs["previous"])
            return list(self.lines)

    melody = build([(60, 1), (62, 1), (64, 1), (65, 1), (67, 4), (65, 1), (64, 1), (62, 1), (60, 1), (60, 4)])
    drafter = Recording(["Morning on the sea"])
    result = write_lyrics(melody, theme="x", rhyme="X", seed=1, drafter=drafter)
    assert len(result.lines) == 2 and drafter.previous == ["", "Morning on the sea"]


def test_a_very_long_melody_gets_lyrics_for_its_first_lines_and_says_so(monkeypatch) -> None:
    from tunesmith.tools.lyrics import write

    monkeypatch.setattr(write, "MAX_LINES", 3)
    pitches = [60, 62, 64, 65, 67, 65, 64, 62]
    notes = tuple(Note(pitches[i % 8], i * 1.0 if i % 4 else i * 1.0, 1.0 if i % 4 != 3 else 1.0) for i in range(48))
    melody = Melody(notes=notes, meter=Meter(4, 4), key=KeySpec("C"), bars=12)
    seen = []

    class Counting(LexiconDrafter):
        def draft_line(self, **kwargs):
            seen.append(len(kwargs["verse"]))
            return super().draft_line(**kwargs)

    result = write_lyrics(melody, theme="home", seed=1, drafter=Counting(), rhyme="XXXX")
    assert len(result.lines) == 3 and len(result.phrases) == 3
    assert any("lyrics were written for the first 3" in w and "the rest has no words" in w for w in result.warnings)
    worded = [n for n in result.song.melody.notes if n.lyric is not None]
    assert worded and max(n.onset for n in worded) < 12 * 4 * 0.75  # the last phrases stay wordless
    assert max(seen) <= write.VERSE_CONTEXT
