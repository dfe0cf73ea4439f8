"""The per-operation wall-clock budget: past it, one clear ToolError and nothing written."""

from __future__ import annotations

import pytest

from tunesmith.tools import budget
from tunesmith.tools.errors import ToolError
from tunesmith.tools.lyrics.drafters import LexiconDrafter
from tunesmith.tools.lyrics.write import write_lyrics
from tunesmith.tools.melody import compose
from tunesmith.tools.melody.request import build_request

from tunes import down_tune


def test_a_budget_holds_until_its_deadline() -> None:
    fresh = budget.Budget.start("melody")
    fresh.check("round 1")  # well inside 120 s
    spent = budget.Budget(what="lyrics", seconds=0.0, started=fresh.started - 1)
    with pytest.raises(ToolError, match=r"the lyrics took longer than its 0 s budget and was stopped at line 3; nothing"):
        spent.check("line 3")


def test_spent_budgets_stop_melodies_and_lyrics(tiny_runtime, monkeypatch) -> None:
    monkeypatch.setitem(budget.BUDGETS_S, "melody", -1.0)
    with pytest.raises(ToolError, match="the melody took longer than its -1 s budget"):
        compose.new_melody(build_request(key="C", bars=2, seed=1), runtime=tiny_runtime)
    monkeypatch.setitem(budget.BUDGETS_S, "lyrics", -1.0)
    with pytest.raises(ToolError, match="at line 1"):
        write_lyrics(down_tune(), theme="home", seed=1, drafter=LexiconDrafter())
