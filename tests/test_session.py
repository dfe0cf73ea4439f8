"""Sessions: respond records turns, history reaches the model, undo, Ctrl-C, SQLite resume."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage, ToolMessage

from tunesmith.agent.errors import AgentError
from tunesmith.agent.models import ModelUnavailableError
from tunesmith.agent.session import Resources, Turn, command_turn, new_session, open_session, respond
from tunesmith.tools.actions.state import SongState, describe, state_from_dict, state_to_dict, with_song
from tunesmith.agent.store import SessionStore
from tunesmith.tokenization.music import ChordEvent, KeySpec, Melody, Meter, Note, Song, Syllable

import agent_fakes as fakes


NO_MODEL = Resources(None)  # these tests never write music, so no model is loaded


def make(tmp_path, model, *, store=None, session_id=None):
    return new_session(model="scripted", out_dir=tmp_path / "out", resources=NO_MODEL, store=store,
                       chat_model=model, session_id=session_id)


def test_turns_history_and_system_prompt(tmp_path) -> None:
    model = fakes.scripted(("set_style", {"style": "reel", "tempo": 120}), "Set.", "Still a reel.")
    session = make(tmp_path, model)
    first = respond(session, "a reel at 120")
    assert (first.index, first.reply, session.state.style, session.state.tempo) == (1, "Set.", "irish-reel", 120)
    second = respond(session, "what style?")
    assert second.index == 2 and second.tool_calls == ()
    last_input = model.seen[-1]
    assert isinstance(last_input[0], SystemMessage) and "style irish-reel" in last_input[0].content
    assert [m.content for m in last_input if isinstance(m, HumanMessage)] == ["a reel at 120", "what style?"]
    assert any(isinstance(m, ToolMessage) for m in last_input)


def test_streamed_tokens_and_tool_callbacks(tmp_path) -> None:
    tokens, tools = [], []
    model = fakes.scripted(("set_style", {"mood": "happy"}), "A happy song it is.")
    turn = respond(make(tmp_path, model), "happy!", on_token=tokens.append, on_tool=tools.append)
    assert "".join(tokens) == "A happy song it is." == turn.reply
    assert [(c.name, c.args, c.ok) for c in tools] == [("set_style", {"mood": "happy"}, True)]


def test_undo_restores_the_state_before(tmp_path) -> None:
    model = fakes.scripted(("set_style", {"key": "D"}), "ok", ("set_style", {"key": "E minor"}), "ok")
    session = make(tmp_path, model)
    respond(session, "D")
    respond(session, "E minor")
    assert session.state.key == KeySpec("E", "minor")
    assert session.undo().text == "E minor" and session.state.key == KeySpec("D")
    assert session.undo().text == "D" and session.state == SongState() and session.undo() is None


def test_ctrl_c_and_errors_leave_the_session_as_it_was(tmp_path) -> None:
    model = fakes.scripted(("set_style", {"style": "jig"}), KeyboardInterrupt, ("set_style", {"style": "air"}),
                           RuntimeError("boom"))
    session = make(tmp_path, model)
    with pytest.raises(KeyboardInterrupt):
        respond(session, "a jig")
    assert session.state == SongState() and session.turns == []
    with pytest.raises(RuntimeError):
        respond(session, "an air")
    assert session.state == SongState() and session.turns == []
    with pytest.raises(AgentError, match="empty message"):
        respond(session, "   ")


def test_an_unreachable_model_is_one_clear_error(tmp_path) -> None:
    model = fakes.scripted(ConnectionRefusedError(111, "Connection refused"))
    session = new_session(model="ollama:llama3.2@http://127.0.0.1:9", out_dir=tmp_path, resources=NO_MODEL,
                          chat_model=model)
    with pytest.raises(ModelUnavailableError) as caught:
        respond(session, "hi")
    assert str(caught.value) == ("cannot reach the chat model at http://127.0.0.1:9 (llama3.2): "
                                 "is the server running?")


def test_sessions_persist_and_resume(tmp_path) -> None:
    store = SessionStore(tmp_path / "sessions.db")
    model = fakes.scripted(("set_style", {"style": "jig"}), "Jig set.", ("set_style", {"tempo": 90}), "Slower.")
    session = make(tmp_path, model, store=store, session_id="s1")
    respond(session, "a jig")
    respond(session, "slower")
    session.undo()
    command_turn(session, "/style mood=calm", reply="ok")
    reopened = open_session(SessionStore(tmp_path / "sessions.db"), None, resources=NO_MODEL,
                            chat_model=fakes.scripted("Hello again."))
    assert reopened.id == "s1" and [t.text for t in reopened.turns] == ["a jig", "/style mood=calm"]
    assert reopened.state == session.state and reopened.index == 4  # the undone turn keeps its number
    assert [m.content for m in reopened.history if isinstance(m, HumanMessage)] == ["a jig"]
    assert respond(reopened, "hi").index == 4
    assert store.list_sessions()[0] == {"id": "s1", "updated": store.list_sessions()[0]["updated"],
                                        "model": "scripted", "turns": 3}
    with pytest.raises(AgentError, match="no session 'nope'"):
        open_session(store, "nope", resources=NO_MODEL)


def test_state_round_trips_through_json() -> None:
    notes = (Note(62, 0.0, 1.0, Syllable("la", "begin")), Note(64, 1.0, 2.0, Syllable("la", "end")))
    song = Song(melody=Melody(notes=notes, meter=Meter(3, 4), key=KeySpec("D", "dorian"), tempo=90, bars=1),
                chords=(ChordEvent("Dm", 0.0, 3.0, "i"),), title="T", style="irish-air", seed=7)
    state = with_song(SongState(style="irish-air", mood="sad", tempo=90), song, {"midi": Path("/x/t.mid")})
    assert state_from_dict(state_to_dict(state)) == state
    text = describe(state)
    assert text.splitlines()[0] == "Settings: style irish-air, mood sad, tempo 90 bpm" and "midi: /x/t.mid" in text
    turn = Turn(index=1, kind="command", text="/load t.mid", reply="loaded", tool_calls=(), state=state, seconds=0.0)
    assert Turn.from_dict(turn.as_dict()) == turn


def test_ctrl_c_while_a_tool_runs_undoes_it(tmp_path, monkeypatch) -> None:
    import _thread
    import signal
    import threading
    import time

    from tunesmith.agent import toolkit

    original, schema = toolkit.TOOLS["set_style"]

    def slow(session, **values):
        time.sleep(0.4)
        return original(session, **values)

    # A job started in the background (`cmd &`) inherits SIGINT ignored, and then interrupt_main does nothing.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    monkeypatch.setitem(toolkit.TOOLS, "set_style", (slow, schema))
    session = make(tmp_path, fakes.scripted([("set_style", {"style": "jig"}), ("set_style", {"tempo": 99})], "ok"))
    timer = threading.Timer(0.1, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            respond(session, "a jig at 99")
    finally:
        timer.join()
        signal.signal(signal.SIGINT, before)
    assert session.state == SongState() and session.turns == []


def test_two_processes_on_one_session_both_keep_their_turns(tmp_path) -> None:
    """Two `chat -c` resume the same session (each its own connection); both turns are stored."""
    db = tmp_path / "sessions.db"
    first = make(tmp_path, fakes.scripted("one"), store=SessionStore(db), session_id="s")
    respond(first, "start")
    a = open_session(SessionStore(db), "s", resources=NO_MODEL, chat_model=fakes.scripted("from a"))
    b = open_session(SessionStore(db), "s", resources=NO_MODEL, chat_model=fakes.scripted("from b"))
    assert a.index == b.index == 2
    turn_a, turn_b = respond(a, "a says"), respond(b, "b says")
    assert (turn_a.index, turn_b.index) == (2, 3)  # b's planned index was taken: it gets the next one
    resumed = open_session(SessionStore(db), "s", resources=NO_MODEL)
    assert [t.text for t in resumed.turns] == ["start", "a says", "b says"] and resumed.index == 4
    assert [t.index for t in resumed.turns] == [1, 2, 3]


def test_schema_is_made_once_under_concurrent_first_use(tmp_path) -> None:
    import threading

    db, errors = tmp_path / "fresh.db", []

    def open_one() -> None:
        try:
            SessionStore(db).create_session(f"s{threading.get_ident()}", model="m", out_dir=tmp_path)
        except Exception as err:  # noqa: BLE001 - collected for the assertion
            errors.append(err)

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(SessionStore(db).list_sessions()) == 8
    import sqlite3

    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA user_version").fetchone()[0] == 1


@pytest.mark.parametrize("damage", ["{not json", '{"index": 2}', '["a list"]',
                                    '{"index": 2, "kind": "chat", "text": "x", "reply": "y", "tool_calls": [], '
                                    '"state": {"song": {"melody": "garbage"}}, "messages": []}'])
def test_a_damaged_turn_is_reported_and_skipped(tmp_path, damage: str) -> None:
    import sqlite3

    db = tmp_path / "sessions.db"
    model = fakes.scripted(("set_style", {"tempo": 90}), "one", "two", ("set_style", {"tempo": 70}), "three")
    session = make(tmp_path, model, store=SessionStore(db), session_id="s")
    for text in ("first, 90 bpm", "second", "third, 70 bpm"):
        respond(session, text)
    with sqlite3.connect(db) as con:
        con.execute("UPDATE turns SET data = ? WHERE idx = 2", (damage,))
    resumed = open_session(SessionStore(db), "s", resources=NO_MODEL)
    assert [t.text for t in resumed.turns] == ["first, 90 bpm", "third, 70 bpm"] and resumed.state.tempo == 70
    assert len(resumed.damaged) == 1 and resumed.damaged[0].startswith("stored turn 2 is damaged and was skipped (")
    assert resumed.index == 4


def test_undo_is_one_statement_and_says_which_turn(tmp_path) -> None:
    store = SessionStore(tmp_path / "s.db")
    store.create_session("s", model="m", out_dir=tmp_path)
    for index in (1, 2):
        assert store.add_turn("s", index=index, kind="chat", text=f"t{index}", reply="", data={}, files=[]) == index
    assert (store.undo_last("s"), store.undo_last("s"), store.undo_last("s")) == (2, 1, None)
    assert store.add_turn("s", index=1, kind="chat", text="t3", reply="", data={}, files=[]) == 3


def test_a_chat_tool_call_with_an_ambiguous_key_fails_cleanly(tmp_path) -> None:
    model = fakes.scripted(("set_style", {"key": "DM"}), "Which one?", ("set_style", {"key": "D", "mode": "minor"}), "ok")
    session = make(tmp_path, model)
    turn = respond(session, "in DM")
    assert not turn.tool_calls[0].ok and "key 'DM' is ambiguous" in turn.tool_calls[0].content
    assert session.state.key is None
    respond(session, "D minor then")
    assert session.state.key == KeySpec("D", "minor")
