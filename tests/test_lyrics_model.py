"""What the lyric drafters share: the verse corpus readers, the word rules, the Mandarin character
constraint, and the configured-LLM drafter."""

from __future__ import annotations

import random

import pytest

from tunesmith.finetune.text import corpus as tc
from tunesmith.tools.lyrics import constraint as lc
from tunesmith.tools.lyrics import constraint_zh as lcz
from tunesmith.tools.lyrics import en
from tunesmith.tools.lyrics import zh
from tunesmith.tools.lyrics.slots import Phrase, Slot

CHARS = "家乡门窗灯母父亲故归屋炉路行别离远客马桥关途舟去夜月星天梦影暗静寒深光山水花风春秋云雨江南北东西人心"


def phrase(strengths: tuple[float, ...], pitches: tuple[int, ...] | None = None) -> Phrase:
    pitches = pitches or tuple(60 + (k * 2) % 7 for k in range(len(strengths)))
    return Phrase(tuple(Slot((k,), float(k), 1.0, p, s) for k, (s, p) in enumerate(zip(strengths, pitches))), "end")


def walk(allowed, rng: random.Random, limit: int = 200) -> bytes:
    """A random path through a constraint: it must always offer a way on."""
    out = b""
    for _ in range(limit):
        options = sorted(allowed(out))
        assert options, f"dead end after {out!r}"
        choice = rng.choice(options)
        if choice == lc.END:
            return out
        out += bytes([choice])
    raise AssertionError("no end")


@pytest.fixture(scope="module")
def chars() -> lcz.HanChars:
    return lcz.HanChars.of(CHARS)


def test_end_symbol_matches_the_decoder():
    from tunesmith.finetune.text.adapter import END

    assert lc.END == END


def test_english_helpers():
    assert not lc.singable("thou") and lc.singable("river") and not lc.singable("Q")


@pytest.mark.parametrize("rhyme_with", [None, "光", "家"])
def test_mandarin_constraint_walks_always_fit(chars, rhyme_with):
    rng = random.Random(7)
    pitches = (60, 62, 64, 62, 60, 67, 65)
    steps = [b - a for a, b in zip(pitches, pitches[1:])]
    line = lcz.MandarinLine(chars, steps, rhyme_with=rhyme_with)
    assert line.possible
    for _ in range(12):
        text = walk(line, rng).decode()
        fit = zh.fit_line(text, phrase((1.0,) * 7, pitches))
        assert fit.ok, (text, fit.problems)
        if rhyme_with:
            assert zh.zh_rhymes(text, rhyme_with) and text[-1] != rhyme_with


def test_fortunes_parsing_strips_colours_and_modern_authors(tmp_path):
    (tmp_path / "tang300").write_text("\x1b[32m《静夜思》\x1b[m\n\x1b[33m作者：李白\x1b[m\n床前明月光，疑是地上霜。\n%\n",
                                      encoding="utf-8")
    (tmp_path / "chinese").write_text("春眠不觉晓，处处闻啼鸟。\n    -- 孟浩然《春晓》\n%\n"
                                      "横眉冷对千夫指\n    -- 鲁迅《自嘲》\n%\n", encoding="utf-8")
    poems = tc.chinese_poems(tmp_path)
    assert [(p["title"], p["author"], p["lines"]) for p in poems] == [
        ("静夜思", "李白", ["床前明月光", "疑是地上霜"]), ("春晓", "孟浩然", ["春眠不觉晓", "处处闻啼鸟"])]


def test_play_speeches_drop_speakers_and_directions():
    text = "MACBETH.\nSo foul and fair a day I have not seen.\n[Exit.]\n\nBANQUO.\nHow far is't call'd to Forres?\n"
    assert list(tc.play_speeches(text)) == [["So foul and fair a day I have not seen."], ["How far is't call'd to Forres?"]]


def test_llm_drafter_parses_a_chat_answer():
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from tunesmith.agent.lyrics_llm import LLMDrafter, parse_lines
    from tunesmith.tools.lyrics.write import write_lyrics
    from tunesmith.tokenization.music import Melody, Meter, Note

    answer = "1. Away the river\n2. Morning on the sea\n"
    chat = GenericFakeChatModel(messages=iter([AIMessage(content=answer)] * 4))
    drafter = LLMDrafter(chat)
    assert drafter.draft_line(theme="sea", syllables=5, stress_pattern="42324", rhyme_with=None, lang="en",
                              seed=0) == ["Away the river", "Morning on the sea"]
    melody = Melody(notes=tuple(Note(60 + k, float(k), 1.0) for k in range(5)), meter=Meter(4, 4))
    result = write_lyrics(melody, theme="sea", rhyme="X", seed=1, drafter=LLMDrafter(chat))
    assert result.drafter == "configured LLM" and result.lines[0].fit.ok
    assert parse_lines("- 'one'\n\n(2) two") == ["one", "two"]
    asked = drafter.prompt(theme="sea", syllables=5, stress_pattern="42324", rhyme_with=None, lang="en",
                           previous="Away the river")
    assert "The line before it (continue its thought): Away the river" in asked
    assert "first line" in drafter.prompt(theme="sea", syllables=5, stress_pattern="42324", rhyme_with=None, lang="en")


def test_doctests():
    import doctest

    from tunesmith.agent import lyrics_llm

    for module in (tc, lc, lcz, lyrics_llm):
        assert doctest.testmod(module).failed == 0, module.__name__
