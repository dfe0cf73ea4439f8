"""Smoke test of the shipped language model (the real Gemma base + the checkpoint's lyrics LoRA):
it loads from the installed package and drafts lines that fit.  Skipped where the base package
is not installed (`make setup` installs and converts it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunes import c_major_tune
from tunesmith.agent.config import load_config
from tunesmith.tools.lyrics.pretrained import PretrainedDrafter
from tunesmith.tools.lyrics.write import write_lyrics


@pytest.fixture(scope="module")
def shipped():
    config = load_config(overrides={"checkpoints": Path(__file__).resolve().parents[1] / "checkpoints"})
    models = config.models()
    why = models.lm_missing()
    if why is not None:
        pytest.skip(why)
    return models.lyrics_lm()


def test_the_shipped_lm_writes_fitting_english_and_mandarin(shipped) -> None:
    drafter = PretrainedDrafter(shipped)
    english = write_lyrics(c_major_tune(), theme="leaving home", lang="en", seed=1, drafter=drafter)
    assert english.lines and all(line.fit.ok for line in english.lines)
    assert english.text() == write_lyrics(c_major_tune(), theme="leaving home", lang="en", seed=1,
                                          drafter=drafter).text()
    mandarin = write_lyrics(c_major_tune(), theme="离开家乡", lang="zh", seed=1, drafter=drafter)
    assert all(len(line.syllables) == phrase.syllables for line, phrase in zip(mandarin.lines, mandarin.phrases))
