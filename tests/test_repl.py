"""The terminal chat: injected input lines give exact output lines; Ctrl-C keeps the session."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest

from tunesmith.tools.actions import state as state_module
from tunesmith.agent import toolkit as toolkit_module
from tunesmith.agent.repl import run_command, run_repl
from tunesmith.agent.session import Resources, new_session

import agent_fakes as fakes


def test_doctests() -> None:
    assert doctest.testmod(state_module).failed == 0 and doctest.testmod(toolkit_module).failed == 0


@pytest.fixture
def tune(down_file: Path) -> Path:
    """The shared "Down" tune as an ABC file (conftest.down_file)."""
    return down_file


def chat(tmp_path: Path, lines: list, *steps, write=None):
    """Run the REPL on scripted input; the output as lines, tmp_path shown as TMP."""
    session = new_session(model="scripted", out_dir=tmp_path / "out", resources=Resources(None),
                          chat_model=fakes.scripted(*steps), session_id="t1")
    given = iter(lines)

    def read(prompt: str) -> str:
        line = next(given)
        if isinstance(line, type) and issubclass(line, BaseException):
            raise line
        return line

    out: list[str] = []
    run_repl(session, read=read, echo=lambda text, style=None: out.append(text), write=write)
    return "\n".join(out).replace(str(tmp_path), "TMP").splitlines(), session


def test_transcript(tmp_path: Path, tune: Path) -> None:
    lines, session = chat(tmp_path, ["/style jig mood=sad", f"/load {tune}", "/show", "check it please",
                                     "/show check_theory", "/undo", "/undo", "/show", "/bogus", "/quit"],
                          ("check_theory", {}), "It looks fine.")
    assert lines == [
        "tunesmith chat · session t1 · model scripted · /help lists commands",
        "Settings now: style irish-jig, mood sad (used by the next melody).",
        "loaded Down (C major, 4/4, 100 bpm, 3 bars)",
        "Settings: style irish-jig, mood sad",
        "Down (C major, 4/4, 100 bpm, 3 bars)",
        "",
        "G2 F2 E2 D2 | C2 D2 E2 F2 | G2 E2 D2 C2 |]",
        "Files:",
        "  source: TMP/down.abc",
        "  ✓ check_theory: Theory check: ok (0 errors, 1 warning, key C major)",
        "It looks fine.",
        "turn 3 ('check it please'):",
        "  ✓ check_theory: Theory check: ok (0 errors, 1 warning, key C major)",
        "Theory check: ok (0 errors, 1 warning, key C major)",
        "  warning              every note but the last lasts 1 quarter(s): one rhythm throughout",
        "  info                 sounds like the declared C major (clarity 0.89)",
        "  info                 range C4-G4 (7 semitones)",
        "  info    bar 3        ends on the tonic C",
        "undid 'check it please'; settings: style irish-jig, mood sad",
        "undid '/load TMP/down.abc'; settings: style irish-jig, mood sad",
        "Settings: style irish-jig, mood sad",
        "No melody yet.",
        "unknown command /bogus; /help lists them",
        "bye",
    ]
    assert [t.text for t in session.turns] == ["/style jig mood=sad"]


def test_ctrl_c_cancels_the_turn_and_keeps_the_session(tmp_path: Path) -> None:
    lines, session = chat(tmp_path, ["/style reel", "make it a jig", KeyboardInterrupt, "/style", EOFError],
                          ("set_style", {"style": "jig"}), KeyboardInterrupt)
    assert lines[1:] == ["Settings now: style irish-reel (used by the next melody).",
                         "  ✓ set_style style=jig: Settings now: style irish-jig (used by the next melody).",
                         "turn cancelled; the song is as it was before it",
                         "(Ctrl-D or /quit leaves)",
                         "settings: style irish-reel",
                         "bye"]
    assert session.state.style == "irish-reel" and len(session.turns) == 1


def test_errors_are_shown_and_the_chat_goes_on(tmp_path: Path) -> None:
    lines, session = chat(tmp_path, ["/model", "/model gpt4", "/model embedded", "/model ollama:qwen3@http://127.0.0.1:9",
                                     "/style key='H major'", "/load", "/load nowhere.mid", "hello", "/style key=DM",
                                     "/style key='D major' mode=minor", "/q"],
                          "Hello!")
    assert lines[1:3] == ["model: scripted",
                          "error: unknown model 'gpt4': use embedded, legacy, ollama:NAME, ollama:NAME@http://host:port, "
                          "openai:NAME@http://host:port/v1 or hf:/path/to/model-folder"]
    assert lines[3].startswith("error: ") and "has no pretrained language model" in lines[3] and "legacy" in lines[3]
    assert lines[4] == "model: ollama:qwen3@http://127.0.0.1:9" and session.model == "ollama:qwen3@http://127.0.0.1:9"
    assert lines[5].startswith("set_style failed: unknown key 'H major'")
    assert lines[6].startswith("usage: /load FILE") and lines[7].startswith("error: ") and "nowhere.mid" in lines[7]
    assert lines[8] == "error: cannot reach the chat model at http://127.0.0.1:9 (qwen3): is the server running?"
    assert lines[9] == ("set_style failed: key 'DM' is ambiguous: write 'D major' or 'D minor' (Dm); "
                        "a capital M is read as neither")
    assert lines[10] == "set_style failed: key 'D major' says major but mode says minor: give the mode once"


def test_streamed_reply(tmp_path: Path) -> None:
    chunks: list[str] = []
    lines, _ = chat(tmp_path, ["hi there", "/quit"], "Hello to you.", write=chunks.append)
    assert "".join(chunks) == "Hello to you.\n" and "Hello to you." not in lines


def test_save_load_export_play(tmp_path: Path, tune: Path, monkeypatch) -> None:
    monkeypatch.setattr("tunesmith.tools.export.render.shutil.which", lambda name: None)
    saved = tmp_path / "out" / "saved.json"
    lines, session = chat(tmp_path, [f"/load {tune}", "/style tempo=90", "/save saved.json", "/export svg", "/play",
                                     "/help", "/quit"])
    assert "saved 2 turn(s) to TMP/out/saved.json" in lines
    assert any(line.startswith("Wrote svg: TMP/out/003-song.svg") for line in lines)
    assert "export_song failed: no WAV: fluidsynth is not installed (apt install fluidsynth, brew install " \
           "fluid-synth); the MIDI file is TMP/out/004-song.mid" in lines
    assert "/undo    take back the last turn" in lines and lines[-2].startswith("renderers: wav missing")
    data = json.loads(saved.read_text())
    assert [t["text"] for t in data["turns"]] == [f"/load {tune}", "/style tempo=90"]
    fresh = new_session(model="scripted", out_dir=tmp_path / "fresh", resources=Resources(None))
    echoed: list[str] = []
    run_command(fresh, f"/load {saved}", echo=lambda text, style=None: echoed.append(text))
    assert echoed == [f"loaded 2 turn(s) from {saved}; settings: tempo 90 bpm"]
    assert fresh.state.song == session.turns[1].state.song and fresh.index == 3


def cli_app():
    import typer

    from tunesmith.agent.cli_chat import batch, chat, run

    app = typer.Typer()
    app.command()(chat)
    app.command()(batch)
    app.command("run")(run)
    return app


def cli_env(tmp_path: Path) -> dict[str, str]:
    return {"TUNESMITH_HOME": str(tmp_path / "home"), "TUNESMITH_OUT": str(tmp_path / "out"),
            "TUNESMITH_CHECKPOINTS": str(tmp_path / "none"), "TUNESMITH_MODEL": "embedded"}


def test_chat_command_saves_and_resumes(tmp_path: Path, tune: Path) -> None:
    from typer.testing import CliRunner

    runner, app = CliRunner(), cli_app()
    first = runner.invoke(app, ["chat", "--melody", str(tune), "--style", "jig"], input="/show\nhello\n/quit\n",
                          env=cli_env(tmp_path))
    assert first.exit_code == 0, first.output
    out = first.output.splitlines()
    assert out[1] == "loaded Down (C major, 4/4, 100 bpm, 3 bars)" and out[3] == "Settings: style irish-jig"
    assert any(line.startswith("error: ") and "no trained model" in line or "no pretrained language model" in line
               for line in out)
    again = runner.invoke(app, ["chat", "-c", "--model", "ollama:qwen3@http://127.0.0.1:9"], input="/style\n",
                          env=cli_env(tmp_path))
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[1:] == ["resumed with 2 turn(s); the song: style irish-jig",
                                             "settings: style irish-jig", "bye"]
    assert "model ollama:qwen3@http://127.0.0.1:9" in again.output.splitlines()[0]


def test_run_and_batch_commands(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tunesmith.agent.models import ModelUnavailableError

    runner, app = CliRunner(), cli_app()
    one_shot = runner.invoke(app, ["run", "a jig please"], env=cli_env(tmp_path))
    assert isinstance(one_shot.exception, ModelUnavailableError)  # agent/cli.py makes this exit 1
    prompts = tmp_path / "bad.jsonl"
    prompts.write_text("{oops\n")
    result = runner.invoke(app, ["batch", str(prompts), "--out", str(tmp_path / "b")], env=cli_env(tmp_path))
    assert result.exit_code == 1 and "0 ok, 0 failed, 1 malformed" in result.output
    prompts.write_text('{"id": "a", "prompt": "hi"}\n')
    result = runner.invoke(app, ["batch", str(prompts), "--out", str(tmp_path / "c")], env=cli_env(tmp_path))
    assert isinstance(result.exception, ModelUnavailableError)  # the default model is checked before any prompt
    assert runner.invoke(app, ["batch", str(prompts), "--out", str(tmp_path / "d"), "--jobs", "0"]).exit_code == 2
    assert runner.invoke(app, ["batch", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path)]).exit_code == 2


def test_bad_slash_command_arguments(tmp_path: Path, tune: Path) -> None:
    lines, _ = chat(tmp_path, [f"/load {tune}", "/export mp3", "/style tempo=fast", "/quit"])
    assert lines[2].startswith("export_song: format: Input should be 'midi', 'musicxml', 'abc', 'wav'")
    assert lines[3] == "set_style: tempo: Input should be a valid integer, unable to parse string as an integer"


def test_streamed_text_around_a_tool_call(tmp_path: Path) -> None:
    from langchain_core.messages import AIMessage

    out: list[str] = []
    step = AIMessage(content="Setting it.", tool_calls=[{"name": "set_style", "args": {"tempo": 90}, "id": "c1"}])
    lines, _ = chat(tmp_path, ["slower: 90 bpm", "/quit"], step, "Now 90 bpm.", write=out.append)
    assert "".join(out) == "Setting it.\nNow 90 bpm.\n"
    assert lines[1:] == ["  ✓ set_style tempo=90: Settings now: tempo 90 bpm (used by the next melody).", "bye"]


def test_save_stays_in_the_output_folder_unless_forced(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.json"
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "link.json").symlink_to(outside)
    lines, _ = chat(tmp_path, ["/style tempo=90", f"/save {outside}", "/save ../up.json", "/save link.json",
                               "/save sub/ok.json", f"/save --force {outside}", "/quit"])
    assert lines[2] == (f"error: /save writes inside the output folder TMP/out; TMP/elsewhere.json is outside it. "
                        f"To write there anyway: /save --force TMP/elsewhere.json")
    assert lines[3].startswith("error: /save writes inside the output folder TMP/out; ../up.json is outside it.")
    assert lines[4].startswith("error: /save writes inside the output folder") and "link.json" in lines[4]
    assert lines[5:7] == ["saved 1 turn(s) to TMP/out/sub/ok.json", "saved 1 turn(s) to TMP/elsewhere.json"]
    assert outside.is_file() and not (tmp_path / "up.json").exists()


def test_resume_reports_a_damaged_turn(tmp_path: Path) -> None:
    import sqlite3

    from tunesmith.agent.session import open_session
    from tunesmith.agent.store import SessionStore

    db = tmp_path / "s.db"
    session = new_session(model="scripted", out_dir=tmp_path / "out", resources=Resources(None),
                          store=SessionStore(db), session_id="t1", chat_model=fakes.scripted("a", "b"))
    lines = iter(["first", "second", "/quit"])
    run_repl(session, read=lambda prompt: next(lines), echo=lambda text, style=None: None)
    with sqlite3.connect(db) as con:
        con.execute("UPDATE turns SET data = 'garbage' WHERE idx = 1")
    out: list[str] = []
    resumed = open_session(SessionStore(db), "t1", resources=Resources(None))
    run_repl(resumed, read=lambda prompt: "/quit", echo=lambda text, style=None: out.append(text))
    assert out[1].startswith("stored turn 1 is damaged and was skipped (JSONDecodeError: ")
    assert out[2] == "resumed with 1 turn(s); the song: nothing set yet"


def test_an_overlong_message_is_refused(tmp_path: Path) -> None:
    lines, session = chat(tmp_path, ["x" * 4001, "/quit"])
    assert lines[1] == "error: a message is at most 4000 characters; this one has 4001" and not session.turns
