"""One exception base: every package's family is a TunesmithError, and the CLI, the one place
errors become exit codes, turns any of them into one line and exit 1."""

from __future__ import annotations

import pytest

from tunesmith.agent import cli
from tunesmith.agent.errors import AgentError
from tunesmith.agent.models import ModelUnavailableError
from tunesmith.finetune.errors import CorpusError, FinetuneError, ModelError
from tunesmith.prompts import PromptError
from tunesmith.prompts.errors import TunesmithError
from tunesmith.tokenization.errors import CodecError, MusicFileError, MusicValueError, TokenizationError
from tunesmith.tools.errors import ToolError

FAMILIES = (PromptError, TokenizationError, FinetuneError, ToolError, AgentError)


def test_every_family_shares_the_base() -> None:
    members = (*FAMILIES, MusicValueError, MusicFileError, CodecError, CorpusError, ModelError, ModelUnavailableError)
    assert all(issubclass(kind, TunesmithError) for kind in members)
    assert issubclass(PromptError, KeyError) and str(PromptError("no template")) == "no template"  # not quoted
    assert issubclass(MusicValueError, ValueError)


@pytest.mark.parametrize("kind", FAMILIES)
def test_the_cli_turns_any_family_into_one_line_and_exit_1(kind, monkeypatch, capsys) -> None:
    def fail(*, args) -> None:
        raise kind("it went wrong")

    monkeypatch.setattr(cli, "app", fail)
    with pytest.raises(SystemExit) as done:
        cli.main(["analyze", "x"])
    assert done.value.code == 1 and capsys.readouterr().err == "error: it went wrong\n"


def test_the_cli_lets_a_bug_through(monkeypatch) -> None:
    def fail(*, args) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli, "app", fail)
    with pytest.raises(ZeroDivisionError):
        cli.main(["analyze", "x"])
