"""Prompt templates render only with exactly the variables they name."""

import pytest

from tunesmith import prompts


def test_render_fills_every_placeholder() -> None:
    text = prompts.render("analysis", title="T", key="C major", clarity="0.9", meter="4/4", tempo=100,
                          bars=8, low="C4", high="C5", span=12, notes=30, style="german-folk")
    assert "C major" in text and "$" not in text


def test_missing_and_unused_variables_fail() -> None:
    with pytest.raises(prompts.PromptError, match="missing"):
        prompts.render("analysis", title="T")
    with pytest.raises(prompts.PromptError, match="no prompt"):
        prompts.render("does-not-exist")
