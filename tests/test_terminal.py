"""Terminal manners of `chat` and `run`: one line per tool call, the spinner between outputs, Tab
completion, `run -c` / `--session` and `tunesmith sessions`."""

from __future__ import annotations

import doctest
import json
import shlex
import sqlite3
from pathlib import Path

import pytest
from rich.cells import cell_len

from tunesmith.agent import cli_chat, cli_sessions, repl
from tunesmith.agent.cli import main
from tunesmith.agent.repl import chat_turn, run_repl, tool_line
from tunesmith.agent.session import Resources, ToolCall, new_session

import agent_fakes as fakes


def test_doctests() -> None:
    assert all(doctest.testmod(module).failed == 0 for module in (repl, cli_chat, cli_sessions))


# ---- tool lines ---------------------------------------------------------------------------------

CHORDS = ToolCall(name="recommend_chords", args={"per": "half"}, ok=True,
                  content="Chords in D major, up to two chords per bar: | D | G D | A7 D | Bm | G | A7 | D |. "
                          "Theory check: ok. Files: /o/s/003-chords.mid, /o/s/003-chords.musicxml\nsecond line",
                  artifact={"files": {"midi": "/o/s/003-chords.mid", "musicxml": "/o/s/003-chords.musicxml"},
                            "view": "\n".join(f"line {i}" for i in range(57))})


def test_a_tool_line_names_files_not_paths_and_fits_the_terminal() -> None:
    assert tool_line(CHORDS) == ("  ✓ recommend_chords per=half: Chords in D major, up to two chords per bar: "
                                 "| D | G D | A7 D | Bm | G | A7 | D |. Theory check: ok. "
                                 "(files: 003-chords.mid, 003-chords.musicxml)")
    cut = tool_line(CHORDS, width=80)
    assert cell_len(cut) == 80 and "/o/s" not in cut and "\n" not in cut
    assert cut.startswith("  ✓ recommend_chords per=half: Chords in D major, up to two chords per bar: | D")
    medium = tool_line(CHORDS, width=100)  # the summary keeps its room; one file name is left
    assert cell_len(medium) == 100 and medium.endswith("… (files: 003-chords.mid, …)")
    wide = tool_line(CHORDS, width=140)
    assert cell_len(wide) == 140 and wide.endswith("… (files: 003-chords.mid, 003-chords.musicxml)")
    assert cell_len(tool_line(CHORDS, width=30)) == 30  # a narrow terminal: still one line


def test_a_failed_tool_is_one_line_with_its_error() -> None:
    failed = ToolCall(name="set_style", args={"key": "H major"}, ok=False,
                      content="set_style failed: unknown key 'H major'\nTraceback: never shown")
    assert tool_line(failed) == "  ✗ set_style key='H major': unknown key 'H major'"
    lyrics = ToolCall(name="write_lyrics", args={"theme": "春天的雨", "seed": 3}, ok=True,
                      content="Wrote 4 lines of zh lyrics on 春天的雨: 春天的雨落在窗前，" * 3)
    assert cell_len(tool_line(lyrics, width=50)) <= 50 and tool_line(lyrics, width=50).endswith("…")


@pytest.fixture
def tune(down_file: Path) -> Path:
    return down_file


def test_the_chat_prints_one_line_per_tool_and_show_keeps_the_detail(tmp_path: Path, tune: Path) -> None:
    session = new_session(model="scripted", out_dir=tmp_path / "out", resources=Resources(None), session_id="t1",
                          chat_model=fakes.scripted(("recommend_chords", {}), "Done."))
    given = iter([f"/load {tune}", "chords please", "/show recommend_chords", "/show nothing", "/show export_song",
                  "/quit"])
    out: list[str] = []
    run_repl(session, read=lambda prompt: next(given), echo=lambda text, style=None: out.append(text),
             width=lambda: 100)
    lines = "\n".join(out).splitlines()
    names = [Path(p).name for p in session.turns[1].tool_calls[0].artifact["files"].values()]
    assert len(names) == 3 and all(name.startswith("002-chords") for name in names)
    assert lines[2].startswith("  ✓ recommend_chords: Chords in C major") and cell_len(lines[2]) <= 100
    assert names[0] in lines[2] and str(tmp_path) not in lines[2]
    assert lines[3] == "Done."
    shown = lines[lines.index("turn 2 ('chords please'):") + 1:]
    assert shown[0].endswith(f"(files: {', '.join(names)})")
    assert "Whole progressions:" in shown and len(shown) > 30  # the chord detail is one /show away
    assert any(line.startswith("error: /show takes nothing or one tool name (set_style, ") for line in lines)
    assert "no export_song call in this session yet; /show alone shows the song" in lines


# ---- the spinner --------------------------------------------------------------------------------

class Recorder:
    """A spinner and the output in one list, to see what came in which order."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.running = False

    def start(self) -> None:
        if not self.running:
            self.events.append("spin")
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.events.append("stop")
        self.running = False

    def echo(self, text: str, style: str | None = None) -> None:
        assert not self.running, f"printed over the spinner: {text}"
        self.events.append(text)

    def write(self, chunk: str) -> None:
        assert not self.running, f"streamed over the spinner: {chunk}"
        self.events.append("w:" + chunk)


def turn(tmp_path: Path, *steps, stream: bool = True) -> Recorder:
    session = new_session(model="scripted", out_dir=tmp_path / "out", resources=Resources(None),
                          chat_model=fakes.scripted(*steps), session_id="t1")
    seen = Recorder()
    chat_turn(session, "make it 90 bpm", echo=seen.echo, write=seen.write if stream else None, spinner=seen)
    assert not seen.running
    return seen


def test_the_spinner_stops_for_streamed_text_and_tool_lines(tmp_path: Path) -> None:
    from langchain_core.messages import AIMessage

    step = AIMessage(content="Setting it.", tool_calls=[{"name": "set_style", "args": {"tempo": 90}, "id": "c1"}])
    tool = "  ✓ set_style tempo=90: Settings now: tempo 90 bpm (used by the next melody)."
    assert turn(tmp_path, step, "Now 90 bpm.").events == [
        "spin", "stop", "w:Setting ", "w:it.", "w:\n", tool, "spin", "stop", "w:Now ", "w:90 ", "w:bpm.", "w:\n"]
    assert turn(tmp_path, step, "Now 90 bpm.", stream=False).events == ["spin", "stop", tool, "spin", "stop",
                                                                         "Now 90 bpm."]


def test_the_spinner_is_gone_after_ctrl_c_or_an_error(tmp_path: Path) -> None:
    tool = "  ✓ set_style tempo=90: Settings now: tempo 90 bpm (used by the next melody)."
    assert turn(tmp_path, ("set_style", {"tempo": 90}), KeyboardInterrupt).events == [
        "spin", "stop", tool, "spin", "stop", "turn cancelled; the song is as it was before it"]
    assert turn(tmp_path, RuntimeError("model fell over")).events == [
        "spin", "stop", "error: RuntimeError: model fell over"]


def test_no_spinner_and_no_cut_when_output_is_not_a_terminal(capsys) -> None:
    io = cli_chat._console_io(stream=True)
    assert io["spinner"] is None and io["width"] is None and io["write"] is None


def test_a_real_spinner_leaves_nothing_behind(monkeypatch) -> None:
    import io as stdio

    from rich.console import Console

    screen = stdio.StringIO()
    console = Console(file=screen, force_terminal=True, width=60)
    seen: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        with repl.turn_output(echo=lambda text, style=None: seen.append(text),
                              spinner=console.status("working…")) as out:
            out.tool(ToolCall(name="set_style", args={}, ok=True, content="Settings now: tempo 90 bpm."))
            raise KeyboardInterrupt
    assert seen == ["  ✓ set_style: Settings now: tempo 90 bpm."] and console._live_stack == []
    shown = screen.getvalue()
    assert "working…" in shown and shown.endswith("\x1b[?25h\r\x1b[1A\x1b[2K")  # cursor shown, spinner line erased


# ---- Tab completion -----------------------------------------------------------------------------

def complete(before: str) -> list[str]:
    return cli_chat.completions(before, tools=["recommend_chords", "set_style", "check_theory"])


def test_tab_completes_commands_and_what_they_take(tmp_path: Path, monkeypatch) -> None:
    assert complete("/") == [f"{name} " for name in (*repl.COMMANDS, "/quit")]
    assert complete("/s") == ["/style ", "/show ", "/save "] and complete("/SH") == []
    assert complete("/show ") == ["recommend_chords ", "set_style ", "check_theory "]
    assert complete("/show re") == ["recommend_chords "] and complete("/show set_style x") == []
    assert complete("/export w") == ["wav "] and complete("/export midi a") == ["abc ", "all "]
    assert "irish-jig " in complete("/style i") and complete("/style mo") == ["mood=", "mode="]
    assert complete("/style jig mood=s") == ["mood=sad "] and complete("/style key=F") == ["key=F ", "key=F# "]
    assert complete("an 8-bar jig") == [] and complete("") == complete("/")
    assert complete("/save ") == ["--force "] and complete("/undo ") == []
    (tmp_path / "songs").mkdir()
    (tmp_path / "songs" / "reel.abc").write_text("X:1")
    (tmp_path / "song notes.txt").write_text("")
    monkeypatch.chdir(tmp_path)
    assert complete("/load so") == ["song\\ notes.txt ", "songs/"]
    assert shlex.split(complete("/load song")[0]) == ["song notes.txt"]  # as /load reads it
    assert complete("/load songs/") == ["songs/reel.abc "] and complete("/load ./songs/r") == ["./songs/reel.abc "]
    monkeypatch.setenv("HOME", str(tmp_path))
    assert complete("/load ~/songs/") == ["~/songs/reel.abc "]


def test_enable_completion_wires_readline(monkeypatch) -> None:
    import sys
    import types

    fake = types.ModuleType("readline")
    bound: dict = {}
    fake.__doc__ = "GNU readline"
    fake.set_completer = lambda f: bound.update(completer=f)
    fake.set_completer_delims = lambda d: bound.update(delims=d)
    fake.parse_and_bind = lambda s: bound.update(binding=s)
    fake.get_line_buffer = lambda: "/show re and more"
    fake.get_endidx = lambda: len("/show re")
    monkeypatch.setitem(sys.modules, "readline", fake)
    cli_chat.enable_completion(lambda before: complete(before) + ["other "])
    assert bound["binding"] == "tab: complete" and bound["delims"] == " \t\n"
    assert [bound["completer"]("re", n) for n in range(3)] == ["recommend_chords ", None, None]
    cli_chat.enable_completion(lambda before: 1 / 0)  # a broken completer offers nothing, never raises
    assert bound["completer"]("re", 0) is None


# ---- run -c / --session and `tunesmith sessions` -------------------------------------------------

def cli(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out, out.err


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> dict:
    """A fresh TUNESMITH_HOME and a scripted model; `models` holds every chat model made."""
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TUNESMITH_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("TUNESMITH_CHECKPOINTS", str(tmp_path / "none"))
    made: list = []

    def make(spec, **_):
        made.append(fakes.scripted(("set_style", {"tempo": 90}), f"reply {len(made) + 1}"))
        return made[-1]

    monkeypatch.setattr("tunesmith.agent.models.make_chat_model", make)
    return {"models": made, "db": tmp_path / "home" / "sessions.db", "tmp": tmp_path}


def test_run_continue_and_session_answer_in_a_saved_session(home: dict, capsys) -> None:
    code, out, err = cli(["run", "make it 90 bpm", "--json"], capsys)
    assert code == 0, err
    first = json.loads(out)
    code, out, err = cli(["run", "-c", "again at 90 bpm", "--json"], capsys)
    assert code == 0, err
    again = json.loads(out)
    assert again["session"] == first["session"] and again["index"] == 2 and again["reply"] == "reply 2"
    history = [m.content for m in home["models"][1].seen[0]]
    assert "make it 90 bpm" in history and "reply 1" in history  # the second run saw the first
    code, out, err = cli(["run", "--session", first["session"], "third time: 90 bpm"], capsys)
    assert code == 0, err
    assert out.splitlines() == ["  ✓ set_style tempo=90: Settings now: tempo 90 bpm (used by the next melody).",
                                "reply 3"]
    assert sqlite3.connect(home["db"]).execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 1


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "-c", "--session", "x", "hi"], "give --session ID or --continue, not both"),
    (["chat", "-c", "--session", "x"], "give --session ID or --continue, not both"),
    (["run", "-c", "--out", "o", "hi"], "--out names a new session's folder; a resumed session keeps its own"),
    (["chat", "--session", "x", "--out", "o"], "--out names a new session's folder"),
    (["run", "-c", "hi"], "there are no saved sessions in "),
    (["run", "--session", "nope", "hi"], "no session 'nope' in "),
    (["sessions", "--limit", "0"], "--limit must be 1-10000, not 0"),
])
def test_resume_and_listing_errors_are_one_line(home: dict, capsys, argv: list[str], message: str) -> None:
    if "nope" in argv:
        assert cli(["run", "first"], capsys)[0] == 0
    code, out, err = cli(argv, capsys)
    assert code == 1 and message in err and err.startswith("error: ") and err.count("\n") == 1, err


def test_sessions_lists_the_newest_first(home: dict, capsys) -> None:
    code, out, err = cli(["sessions"], capsys)
    assert code == 0 and out.startswith("no saved sessions in ") and "`tunesmith chat` starts one" in out
    assert not home["db"].exists()  # listing creates nothing
    long = "a slow air in E minor for a rainy evening, with a long line that does not fit"
    for prompt in ("a jig", long):
        assert cli(["run", prompt, "--json"], capsys)[0] == 0
    code, out, err = cli(["sessions"], capsys)
    assert code == 0, err
    header, newest, older = out.splitlines()
    assert header.split()[:4] == ["id", "started", "model", "turns"] and "last message" in header
    assert newest.split()[3:5] == ["embedded", "1"] and "a slow air in E minor for a rainy eveni…" in newest
    assert "a jig" in older and str(home["tmp"] / "out") in newest
    assert header.index("output folder") == newest.index(str(home["tmp"] / "out"))  # aligned columns
    code, out, _ = cli(["sessions", "--limit", "1"], capsys)
    assert out.splitlines()[1] == newest and len(out.splitlines()) == 2


def test_the_overview_counts_kept_turns_and_shows_the_last(tmp_path: Path) -> None:
    from tunesmith.agent.store import SessionStore

    store = SessionStore(tmp_path / "s.db")
    store.create_session("old", model="embedded", out_dir=tmp_path / "o1")
    store.create_session("new", model="ollama:qwen3", out_dir=tmp_path / "o2")
    for index, text in enumerate(("first", "second", "third"), start=1):
        store.add_turn("new", index=index, kind="chat", text=text, reply="", data={}, files=[])
    store.undo_last("new")
    rows = store.overview()
    assert [(r["id"], r["turns"], r["last"], r["model"]) for r in rows] == [("new", 2, "second", "ollama:qwen3"),
                                                                           ("old", 0, "", "embedded")]
    assert rows[0]["out_dir"] == str(tmp_path / "o2") and rows[1]["created"] <= rows[0]["created"]
    assert [r["id"] for r in store.overview(limit=1)] == ["new"]
    assert cli_sessions.session_lines(rows)[2].split()[5] == "-"  # no message yet
