"""The agent's tools driven end to end by a scripted chat model through create_agent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunesmith.agent import toolkit
from tunesmith.agent.session import MAX_TOOL_CALLS, Resources, new_session, respond
from tunesmith.tools.actions.state import with_song
from tunesmith.tokenization.music import KeySpec, Meter, Song

import agent_fakes as fakes
from tunes import c_major_tune as tune



@pytest.fixture(scope="module")
def resources(tiny_checkpoint) -> Resources:
    return Resources(tiny_checkpoint)


def session_with(model, resources, tmp_path, song: Song | None = None):
    session = new_session(model="scripted", out_dir=tmp_path / "out", resources=resources, chat_model=model)
    if song is not None:
        session.state = with_song(session.state, song)
    return session


def test_style_then_melody_then_check(resources, tmp_path) -> None:
    model = fakes.scripted(("set_style", {"style": "jig", "mood": "sad"}),
                           ("generate_melody", {"key": "D", "bars": 4, "seed": 3}),
                           ("check_theory", {}), "Here is a sad jig in D minor.")
    turn = respond(session_with(model, resources, tmp_path), "a sad jig in D please, 4 bars, seed 3")
    assert [c.name for c in turn.tool_calls] == ["set_style", "generate_melody", "check_theory"]
    assert all(c.ok for c in turn.tool_calls) and turn.reply == "Here is a sad jig in D minor."
    melody = turn.state.song.melody
    assert (melody.bars, melody.meter, melody.key) == (4, Meter(6, 8), KeySpec("D", "minor"))  # mood -> minor
    assert turn.state.style == "irish-jig" and turn.state.song.seed >= 3
    suffixes = sorted(Path(p).suffix for p in turn.files)
    assert suffixes == [".abc", ".mid", ".musicxml"] and all(Path(p).is_file() for p in turn.files)
    assert Path(turn.files[0]).name.startswith("001-melody-irish-jig-Dmin-s")
    generate = turn.tool_calls[1]
    assert generate.content.startswith("Wrote a new melody: 4 bars in D minor, 6/8")
    assert "X:" not in generate.content and "X:" not in generate.artifact["view"]  # the body, not the header
    assert turn.tool_calls[2].content.startswith("Theory check: ok")


def test_tool_errors_come_back_as_messages(resources, tmp_path) -> None:
    model = fakes.scripted(("continue_melody", {"bars": 4}), ("generate_melody", {"bars": 999}),
                           ("write_lyrics", {"theme": "the sea"}), ("set_style", {"key": "H major"}),
                           ("no_such_tool", {}), "Sorry, I cannot do that yet.")
    session = session_with(model, resources, tmp_path)
    turn = respond(session, "lyrics about the sea")
    failed = {c.name: c.content for c in turn.tool_calls}
    assert not any(c.ok for c in turn.tool_calls)
    assert "there is no melody yet" in failed["continue_melody"]
    assert "less than or equal to 64" in failed["generate_melody"]
    assert "there is no melody yet" in failed["write_lyrics"]
    assert "unknown key 'H major'" in failed["set_style"]
    assert "no_such_tool" in failed["no_such_tool"]
    assert turn.reply == "Sorry, I cannot do that yet." and session.state.song is None


def test_lyrics_tool_fits_words_to_the_song(resources, tmp_path) -> None:
    model = fakes.scripted(("write_lyrics", {"theme": "the sea", "rhyme": "AABB"}), "Here are your words.")
    session = session_with(model, resources, tmp_path, tune())
    turn = respond(session, "lyrics about the sea")
    call = turn.tool_calls[0]
    assert call.ok and call.content.startswith("Wrote ") and "'the sea'" in call.content
    assert session.state.song.has_lyrics and call.artifact["lyrics"]["lang"] == "en"
    assert Path(call.artifact["files"]["musicxml"]).is_file()


def test_a_crashing_tool_does_not_end_the_turn(resources, tmp_path, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("tunesmith.tools.theory.analyze.analyze_song", boom)
    model = fakes.scripted(("analyze_melody", {}), "The analysis failed.")
    turn = respond(session_with(model, resources, tmp_path, tune()), "analyze it")
    assert turn.tool_calls[0].content == "analyze_melody failed unexpectedly (ZeroDivisionError: division by zero)"
    assert turn.reply == "The analysis failed."


def test_a_looping_model_is_stopped(resources, tmp_path) -> None:
    model = fakes.scripted(*[("set_style", {"tempo": 100 + i}) for i in range(20)])
    turn = respond(session_with(model, resources, tmp_path), "loop")
    assert len([c for c in turn.tool_calls if c.ok]) <= MAX_TOOL_CALLS
    assert "limit" in turn.reply.lower()


def test_chords_for_a_melody_and_without_one(resources, tmp_path) -> None:
    model = fakes.scripted(("recommend_chords", {"per": "bar"}), "Chords added.")
    session = session_with(model, resources, tmp_path, tune())
    turn = respond(session, "chords please, one per bar")
    call = turn.tool_calls[0]
    assert call.ok and call.content.startswith("Chords in C major, one chord per bar: | C |")
    assert len(session.state.song.chords) >= 2 and session.state.song.melody == tune().melody
    model = fakes.scripted(("recommend_chords", {"key": "A", "mode": "minor", "bars": 4, "mood": "sad"}), "ok")
    empty = session_with(model, resources, tmp_path / "b")
    turn = respond(empty, "a sad progression in A minor, 4 bars")
    assert turn.tool_calls[0].content.startswith("Progressions in A minor, 4 bars")
    song = empty.state.song
    assert song.melody.bars == 4 and not song.melody.notes and song.chords[0].symbol == "Am"


def test_analyze_and_export(resources, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("tunesmith.tools.export.render.shutil.which", lambda name: None)
    session = session_with(None, resources, tmp_path, tune())
    analysis = toolkit.call_tool(session, "analyze_melody")
    assert analysis.ok and "C major" in analysis.content and analysis.artifact["analysis"]["bars"] == 4
    svg = toolkit.call_tool(session, "export_song", {"format": "svg"})
    assert svg.ok and "<svg" in Path(svg.artifact["files"]["svg"]).read_text()[:500]
    wav = toolkit.call_tool(session, "export_song", {"format": "wav"})
    assert not wav.ok and "fluidsynth is not installed" in wav.content and "the MIDI file is" in wav.content
    everything = toolkit.call_tool(session, "export_song", {"format": "all"})
    assert everything.ok and "no WAV: fluidsynth is not installed" in everything.content
    assert dict(session.state.files)["svg"].endswith(".svg")


def test_tool_schemas_and_descriptions(resources, tmp_path) -> None:
    from langchain_core.utils.function_calling import convert_to_openai_tool

    tools = toolkit.build_tools(session_with(None, resources, tmp_path))
    assert [t.name for t in tools] == list(toolkit.TOOLS) and set(toolkit.TOOL_TASKS) == set(toolkit.TOOLS)
    schemas = {t.name: convert_to_openai_tool(t)["function"] for t in tools}
    assert "irish-jig" in schemas["generate_melody"]["description"] and "$" not in schemas["set_style"]["description"]
    assert schemas["regenerate_bars"]["parameters"]["required"] == ["keep"]
    assert set(schemas["recommend_chords"]["parameters"]["properties"]) >= {"per", "k", "key", "mode", "bars"}
