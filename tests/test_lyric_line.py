"""rewrite_lyric_line: one line of the lyrics rewritten on its notes (rules drafters, the tiny LM),
every other line kept, the rhyme asked for or the one the line had, and the errors a person sees."""

from __future__ import annotations

import pytest

from test_lyrics import SONG, build
from tiny_lm import tiny_lyrics_lm
from tunesmith.tokenization.music import Song
from tunesmith.tools.actions import Context
from tunesmith.tools.actions.lyrics import rewrite_lyric_line, write_lyrics as write_action
from tunesmith.tools.actions.models import Models
from tunesmith.tools.actions.state import SongState, state_from_dict, state_to_dict
from tunesmith.tools.errors import ToolError
from tunesmith.tools.lyrics import en, zh
from tunesmith.tools.lyrics.drafter_zh import PoetryDrafter
from tunesmith.tools.lyrics.drafters import LexiconDrafter
from tunesmith.tools.lyrics.pretrained import PretrainedDrafter
from tunesmith.tools.lyrics.rewrite import lyric_lines, rewrite_line, song_theme
from tunesmith.tools.lyrics.write import write_lyrics

POEMS = ["床前明月光", "疑是地上霜", "举头望明月", "低头思故乡", "独在异乡为异客",
         "每逢佳节倍思亲", "春风又绿江南岸", "明月何时照我还", "白日依山尽", "黄河入海流"]


@pytest.fixture
def ctx(tiny_checkpoint, tmp_path):
    return Context(models=Models(tiny_checkpoint, lm_cache=tmp_path / "lm"), out_dir=tmp_path)


@pytest.fixture(scope="module")
def english():
    return write_lyrics(Song(melody=SONG, title="Test"), theme="leaving home", lang="en", rhyme="AABB", seed=3)


def _others_kept(before: Song, after: Song, phrase) -> None:
    mine = {k for slot in phrase.slots for k in slot.notes}
    for k, (old, new) in enumerate(zip(before.melody.notes, after.melody.notes)):
        assert (old.pitch, old.onset, old.duration) == (new.pitch, new.onset, new.duration)
        if k not in mine:
            assert old.lyric == new.lyric, k


class _Recording(LexiconDrafter):
    """The rules drafter, remembering what each draft was asked."""

    def __init__(self, *, rhymes: bool = True):
        super().__init__()
        self.asked, self.rhymes = [], rhymes

    def draft_line(self, **kwargs):
        self.asked.append(kwargs)
        if self.rhymes:
            return super().draft_line(**kwargs)
        target = kwargs["rhyme_with"]  # a drafter that never rhymes: the fitter must say no
        lines = super().draft_line(**{**kwargs, "rhyme_with": None})
        return [t for t in lines if not (target and en.rhymes(en.words_of(t)[-1], target))]


def test_lines_are_found_again_on_the_notes(english) -> None:
    found = lyric_lines(english.song.melody)
    assert [f.text for f in found] == [line.text for line in english.lines]
    assert [f.phrase for f in found] == list(english.phrases)
    saved = state_from_dict(state_to_dict(SongState(song=english.song)))  # a stored session keeps no extenders
    assert [f.text for f in lyric_lines(saved.song.melody)] == [line.text for line in english.lines]


def test_rewrite_rhymes_with_the_line_asked_and_keeps_the_others(english) -> None:
    result = rewrite_line(english.song, line=2, rhyme_with=4, seed=1)
    phrase = english.phrases[1]
    assert result.old == english.lines[1].text and result.line.text != result.old
    assert en.fit_line(result.line.text, phrase).ok
    assert en.rhymes(en.words_of(result.line.text)[-1], en.words_of(english.lines[3].text)[-1])
    assert result.rhyme_with == 4
    _others_kept(english.song, result.song, phrase)
    notes = result.song.melody.notes
    assert [notes[s.notes[0]].lyric.text for s in phrase.slots] == [t for t, _ in result.line.syllables]
    lines = [f.text for f in lyric_lines(result.song.melody)]
    assert lines == list(result.lines) and lines[1] == result.line.text
    assert lines[:1] + lines[2:] == [line.text for line in english.lines if line is not english.lines[1]]
    assert rewrite_line(english.song, line=2, rhyme_with=4, seed=1).line.text == result.line.text


def test_without_rhyme_with_the_line_keeps_its_rhyme_or_says_it_lost_it(english) -> None:
    kept = rewrite_line(english.song, line=3, seed=2)
    assert kept.rhyme_with == 4 and not kept.warnings
    assert en.rhymes(en.words_of(kept.line.text)[-1], en.words_of(english.lines[3].text)[-1])
    lost = rewrite_line(english.song, line=3, seed=2, drafter=_Recording(rhymes=False))
    assert lost.rhyme_with is None and lost.line.text != english.lines[2].text
    assert any("no longer rhymes with it" in w for w in lost.warnings)
    with pytest.raises(ToolError, match="could not fit a new line 3 .*rhyming with"):
        rewrite_line(english.song, line=3, rhyme_with=4, seed=2, drafter=_Recording(rhymes=False), max_drafts=2)


def test_a_line_ending_on_an_unknown_word_cannot_be_rhymed_with(english) -> None:
    from dataclasses import replace

    from tunesmith.tokenization.music import Syllable

    melody = english.song.melody
    last = english.phrases[3].slots[-1].notes[0]
    notes = list(melody.notes)
    notes[last] = replace(notes[last], lyric=Syllable("xqzt"))
    song = replace(english.song, melody=replace(melody, notes=tuple(notes)))
    with pytest.raises(ToolError, match="line 4 ends on 'xqzt', which has no rhyme"):
        rewrite_line(song, line=2, rhyme_with=4, seed=1)


def test_the_drafter_reads_the_other_lines_and_the_theme(english) -> None:
    drafter = _Recording()
    rewrite_line(english.song, line=2, seed=1, drafter=drafter)
    texts = [line.text for line in english.lines]
    asked = drafter.asked[0]
    assert asked["verse"] == (*texts[2:], texts[0])  # the lines after, then the one it follows
    assert asked["previous"] == texts[0] and asked["syllables"] == english.phrases[1].syllables
    assert asked["theme"] == song_theme(texts[:1] + texts[2:], "en") and asked["theme"]
    drafter = _Recording()
    result = rewrite_line(english.song, line=2, theme="the sea", seed=1, drafter=drafter)
    assert drafter.asked[0]["theme"] == "the sea" and result.theme == "the sea"


def test_a_melisma_stays_on_its_notes() -> None:
    melody = build([(60, 1), (62, 0.5), (64, 0.5), (65, 1), (67, 1), (65, 1), (64, 1), (62, 2)] * 2)
    written = write_lyrics(melody, theme="love", rhyme="AA", seed=2, melisma={2, 10})
    assert [f.phrase for f in lyric_lines(written.song.melody)] == list(written.phrases)
    result = rewrite_line(written.song, line=1, seed=4)
    notes = result.song.melody.notes
    assert notes[1].lyric.extend and notes[2].lyric is None
    assert sum(n.lyric is not None for n in notes[:8]) == 7
    _others_kept(written.song, result.song, written.phrases[0])


def test_mandarin_line_keeps_characters_tones_and_rhymes() -> None:
    written = write_lyrics(SONG, theme="离家", lang="zh", rhyme="ABAB", seed=4, drafter=PoetryDrafter(segments=POEMS))
    texts = [line.text for line in written.lines]
    result = rewrite_line(written.song, line=2, rhyme_with=3, seed=5, drafter=PoetryDrafter(segments=POEMS))
    assert result.lang == "zh" and result.old == texts[1] and result.line.text != texts[1]
    fit = zh.fit_line(result.line.text, written.phrases[1])
    assert fit.ok and len(result.line.text) == written.phrases[1].syllables
    assert zh.zh_rhymes(result.line.text, texts[2]) and result.line.text[-1] != texts[2][-1]
    _others_kept(written.song, result.song, written.phrases[1])
    assert all(n.lyric.syllabic == "single" for n in result.song.melody.notes if n.lyric)


def test_the_action_summary_files_and_errors(ctx, tmp_path) -> None:
    state = write_action(SongState(song=Song(melody=SONG, title="Test")), ctx, theme="leaving home", seed=3).state
    before = [f.text for f in lyric_lines(state.song.melody)]
    outcome = rewrite_lyric_line(state, ctx, line=2, rhyme_with=4, seed=1)
    after = outcome.artifact["lyrics"]["lines"]
    head = f'Line 2 is now "{after[1]}" (was "{before[1]}") rhyming with line 4 ("{after[3]}")'
    assert outcome.summary.startswith(head)
    assert f"Lyrics: {' / '.join(after)}." in outcome.summary and outcome.files
    assert after[:1] + after[2:] == before[:1] + before[2:]
    assert "rules" in outcome.artifact["lyrics"]["drafter"] and "non-neural drafter" in outcome.notes[-1]
    assert outcome.state.song.has_lyrics and outcome.state.files
    plain = rewrite_lyric_line(state, ctx, line=5, seed=1)
    assert ") rhyming with" not in plain.summary.split(" Lyrics:")[0]  # line 5 rhymes with no line
    for args, message in ((dict(line=6), "line 6 is not a lyric line: the lyrics have 5 lines"),
                          (dict(line=2, rhyme_with=9), "rhyme_with 9 is not a lyric line: the lyrics have 5 lines"),
                          (dict(line=2, rhyme_with=2), "cannot rhyme with itself")):
        with pytest.raises(ToolError, match=message):
            rewrite_lyric_line(state, ctx, **args)
    with pytest.raises(ToolError, match="write lyrics first"):
        rewrite_lyric_line(SongState(song=Song(melody=SONG)), ctx, line=1)
    with pytest.raises(ToolError, match="no melody yet"):
        rewrite_lyric_line(SongState(), ctx, line=1)


def test_the_action_rewrites_a_mandarin_line(ctx) -> None:
    state = write_action(SongState(song=Song(melody=SONG)), ctx, theme="离家", rhyme="AABB", seed=4).state
    before = [f.text for f in lyric_lines(state.song.melody)]
    outcome = rewrite_lyric_line(state, ctx, line=1, rhyme_with=2, seed=3)
    after = outcome.artifact["lyrics"]["lines"]
    assert after[1:] == before[1:] and after[0] != before[0] and len(after[0]) == len(before[0])
    assert zh.zh_rhymes(after[0], after[1])


def test_the_action_drafts_with_the_pretrained_lm(tiny_checkpoint, tmp_path) -> None:
    seen = []

    class Recording(PretrainedDrafter):
        def draft_line(self, **kwargs):
            seen.append(kwargs["verse"])
            return super().draft_line(**kwargs)

    ctx = Context(models=Models(tiny_checkpoint, lm_loader=lambda: tiny_lyrics_lm()), out_dir=tmp_path)
    state = write_action(SongState(song=Song(melody=SONG)), ctx, theme="the sea", rhyme="X", seed=1).state
    before = [f.text for f in lyric_lines(state.song.melody)]
    outcome = rewrite_lyric_line(state, ctx, line=3, seed=2)
    assert outcome.artifact["lyrics"]["drafter"] == "tiny LM" and not outcome.notes
    after = outcome.artifact["lyrics"]["lines"]
    assert after[2] != before[2] and after[:2] + after[3:] == before[:2] + before[3:]
    assert en.fit_line(after[2], lyric_lines(outcome.state.song.melody)[2].phrase).ok
    lm = tiny_lyrics_lm()
    rewrite_line(state.song, line=3, seed=2, drafter=Recording(lm, candidates=4))
    assert seen[0] == (*before[3:], *before[:2])


def test_doctests() -> None:
    import doctest

    from tunesmith.tools.lyrics import rewrite

    assert doctest.testmod(rewrite).failed == 0
