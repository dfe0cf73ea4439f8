"""The tool contract and the action layer: one path for the CLI and the agent.

A throwaway tool added through the contract runs from the command line and from the agent;
the one-shot commands and the agent's tools write the same files for the same arguments and seed.
"""

from __future__ import annotations

import json
import re
import tomllib
from importlib import resources
from pathlib import Path

import agent_fakes as fakes
import pytest

from tunesmith.agent import cli_tool, toolkit
from tunesmith.agent.cli import main
from tunesmith.agent.session import Session, respond
from tunesmith.tokenization.contract import contract, parse_contract
from tunesmith.tokenization.files import read_song
from tunesmith.tools.actions import Outcome, actions
from tunesmith.tools.actions.base import need_melody
from tunesmith.tools.actions.models import Models
from tunesmith.tools.actions.state import SongState

COUNT_NOTES = """
[tools.count_notes]
task = "analyze"
code = "z"
weight = 1
args.voice = {}
description = "Count the notes of the current melody."
summary = "The melody has $count notes$range."
"""


def test_every_contract_tool_has_an_action_a_model_and_a_description() -> None:
    table = toolkit.action_table()
    assert list(table) == list(contract().names) == list(actions())
    for name, (_, schema) in table.items():
        assert tuple(schema.model_fields) == contract().tool(name).arg_names, name
        assert toolkit.describe_tool(name, styles="irish-jig")
    assert len(set(contract().tool_codes().values())) == len(table)


def _with_count_notes():
    text = resources.files("tunesmith.prompts").joinpath("tools.toml").read_text(encoding="utf-8") + COUNT_NOTES
    extended = parse_contract(tomllib.loads(text))

    def count_notes(state: SongState, ctx, *, voice: str | None = None) -> Outcome:
        notes = need_melody(state).melody.notes
        where = f" for a {voice}" if voice else ""
        return Outcome(state=state, summary=extended.tool("count_notes").summary(count=len(notes), range=where),
                       artifact={"count": len(notes)})

    return extended, toolkit.action_table(extended, {**actions(), "count_notes": count_notes})


def test_a_throwaway_tool_added_through_the_contract_runs_from_the_cli_and_the_agent(tmp_path, down_file) -> None:
    extended, table = _with_count_notes()
    count = len(read_song(down_file).melody.notes)
    by_cli = cli_tool.invoke("count_notes", ["voice=alto"], file=down_file, out=tmp_path / "cli", table=table)
    assert by_cli.summary == f"The melody has {count} notes for a alto."
    with pytest.raises(Exception, match="voice"):
        cli_tool.invoke("count_notes", ["voice=kazoo"], file=down_file, table=table)

    model = fakes.scripted(("count_notes", {"voice": "alto"}), "Counted.")
    session = Session(session_id="t", out_dir=tmp_path / "agent", model="scripted", resources=Models(None),
                      chat_model=model, tools=toolkit.tool_table(table), contract=extended)
    session.state = SongState(song=read_song(down_file))
    turn = respond(session, "how many notes are there?")
    call = turn.tool_calls[0]
    assert call.ok and call.name == "count_notes" and call.content == by_cli.summary
    assert "count_notes" in model.bound and "Count the notes" in model.bound["count_notes"]
    assert toolkit.call_tool(session, "count_notes", {}, table=toolkit.tool_table(table)).content == \
        f"The melody has {count} notes."


def _cli(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out = capsys.readouterr()
    assert not done.value.code, out.err
    return out.out


def _files(text: str) -> dict[str, Path]:
    return {kind: Path(path) for kind, path in re.findall(r"^wrote (\w+): (.+)$", text, flags=re.M)}


def _same(a: dict, b: dict) -> None:
    assert set(a) == set(b) == {"midi", "musicxml", "abc"}
    for kind in ("midi", "abc"):
        assert Path(a[kind]).read_bytes() == Path(b[kind]).read_bytes(), kind
    ids = re.compile(rb'(id|ID)="[^"]*"')  # music21 gives every part a fresh random id
    assert ids.sub(b"", Path(a["musicxml"]).read_bytes()) == ids.sub(b"", Path(b["musicxml"]).read_bytes())


@pytest.fixture
def agent(tmp_path, tiny_checkpoint, monkeypatch):
    """A session on the tiny checkpoint, and the CLI pointed at the same checkpoint."""
    monkeypatch.setenv("TUNESMITH_CHECKPOINTS", str(tiny_checkpoint.parent))
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    return Session(session_id="t", out_dir=tmp_path / "agent", model="scripted",
                   resources=Models(tiny_checkpoint), chat_model=fakes.scripted("ok"))


def test_cli_and_agent_write_the_same_files(agent, tmp_path, capsys) -> None:
    out = tmp_path / "cli"
    melody = _files(_cli(["melody", "--style", "irish-jig", "--key", "D", "--bars", "4", "--seed", "7",
                          "--out", str(out)], capsys))
    made = toolkit.call_tool(agent, "generate_melody", {"style": "irish-jig", "key": "D", "bars": 4, "seed": 7})
    assert made.ok, made.content
    _same(melody, made.artifact["files"])

    agent.state = SongState(song=read_song(melody["abc"]))
    chords = _files(_cli(["chords", str(melody["abc"]), "--per", "half", "--out", str(out)], capsys))
    harmonized = toolkit.call_tool(agent, "recommend_chords", {"per": "half"})
    assert harmonized.ok, harmonized.content
    _same(chords, harmonized.artifact["files"])

    agent.state = SongState(song=read_song(melody["abc"]))
    words = _files(_cli(["lyrics", str(melody["abc"]), "--theme", "the sea", "--seed", "3", "--out", str(out)], capsys))
    fitted = toolkit.call_tool(agent, "write_lyrics", {"theme": "the sea", "seed": 3})
    assert fitted.ok, fitted.content
    _same(words, fitted.artifact["files"])

    analysis = json.loads(_cli(["analyze", str(melody["abc"]), "--json"], capsys))
    agent.state = SongState(song=read_song(melody["abc"]))
    assert toolkit.call_tool(agent, "analyze_melody", {}).artifact["analysis"] == analysis
