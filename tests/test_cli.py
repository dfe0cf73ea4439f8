"""The command line as a person uses it: answers, one-line errors, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tunesmith.agent.cli import main

REEL = """X:1
T:Test reel
M:4/4
L:1/8
K:G
|:GABc dBdB|c2ec BdBG|AGFG ABcA|BGAF G4:|
"""


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out, out.err


def test_help_is_fast_and_lists_commands() -> None:
    proc = subprocess.run([sys.executable, "-c", "from tunesmith.agent.cli import main; main(['--help'])"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for command in ("analyze", "melody", "corpus", "demo"):
        assert command in proc.stdout
    heavy = subprocess.run([sys.executable, "-c", "import sys; import tunesmith.agent.cli; "
                            "print(sorted(m for m in ('torch', 'music21', 'miditok', 'transformers') if m in sys.modules))"],
                           capture_output=True, text=True, timeout=60)
    assert heavy.stdout.strip() == "[]"


def test_analyze_abc(tmp_path: Path, capsys) -> None:
    path = tmp_path / "reel.abc"
    path.write_text(REEL)
    code, out, _ = run(["analyze", str(path)], capsys)
    assert code == 0
    assert "G major" in out and "4/4" in out and "bars 4" in out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.mid", b"", "empty"),
        ("text.mid", b"hello, not music\n" * 5, "not a MIDI file"),
        ("cut.mid", b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x10\x00\x00\xff", "MIDI"),
        ("song.xyz", b"abc", "unknown file type"),
    ],
)
def test_analyze_bad_files_give_one_line(tmp_path: Path, capsys, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, _, err = run(["analyze", str(path)], capsys)
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("error:") and message.lower() in err.lower()


def test_analyze_missing_file(capsys) -> None:
    code, _, err = run(["analyze", "/nonexistent/song.mid"], capsys)
    assert code == 1 and err.startswith("error:")


def test_melody_bad_key_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("TUNESMITH_CHECKPOINTS", str(tmp_path))
    code, _, err = run(["melody", "--key", "H major", "--out", str(tmp_path)], capsys)
    assert code == 1 and "unknown key" in err and err.count("\n") == 1


def test_melody_without_model_says_how_to_get_one(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("TUNESMITH_CHECKPOINTS", str(tmp_path))
    code, _, err = run(["melody", "--key", "G", "--out", str(tmp_path)], capsys)
    assert code == 1 and "no trained model" in err


def test_usage_error_exit_code(capsys) -> None:
    code, _, _ = run(["melody", "--bars", "many"], capsys)
    assert code == 2


def test_edge_doctests() -> None:
    import doctest

    from tunesmith.agent import config, edge

    assert doctest.testmod(edge).failed == 0 and doctest.testmod(config).failed == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["melody", "--seed", "-1"], "--seed must be 0-4294967295, not -1"),
        (["melody", "--seed", "4294967296"], "--seed must be 0-4294967295"),
        (["melody", "--tempo", "0"], "--tempo must be 20-400, not 0"),
        (["melody", "--tempo", "401"], "--tempo must be 20-400"),
        (["melody", "--bars", "65"], "--bars must be 1-64"),
        (["melody", "--key", "DM"], "--key 'DM' is ambiguous: write 'D major' or 'D minor'"),
        (["melody", "--key", ""], "--key is empty"),
        (["melody", "--key", "C##"], "unknown key 'C##'"),
        (["melody", "--key", "H"], "unknown key 'H'"),
        (["melody", "--key", "D major", "--mode", "minor"], "--key 'D major' says major but --mode says minor"),
        (["melody", "--style", "x" * 101], "--style is 101 characters long; at most 100"),
        (["melody", "--style", "jig\x1b[2J"], "--style holds control characters"),
        (["melody", "--continue", "a.abc", "--vary", "a.abc"], "give one"),
        (["chords", "REEL", "--k", "100000000000000000000"], "--k must be 1-20, not 100000000000000000000"),
        (["chords", "REEL", "--k", "1000000"], "--k must be 1-20, not 1000000"),
        (["chords", "REEL", "--k", "0"], "--k must be 1-20, not 0"),
        (["chords", "REEL", "--seed", "-1"], "--seed must be 0-4294967295, not -1"),
        (["chords", "REEL", "--key", "DM"], "ambiguous"),
        (["lyrics", "REEL", "--theme", ""], "--theme is empty"),
        (["lyrics", "REEL", "--theme", "t" * 301], "--theme is 301 characters long; at most 300"),
        (["lyrics", "REEL", "--seed", "-5"], "--seed must be 0-4294967295, not -5"),
        (["batch", "REEL", "--out", "b", "--jobs", "17"], "--jobs must be 1-16, not 17"),
        (["tool", "generate_melody", "seed=-1"], "seed"),
        (["adapt", ".", "--name", "x", "--steps", "0"], "--steps must be 1-100000"),
    ],
)
def test_bad_arguments_are_one_clear_line_before_any_work(tmp_path: Path, capsys, monkeypatch, argv: list[str],
                                                          message: str) -> None:
    reel = tmp_path / "reel.abc"
    reel.write_text(REEL)
    monkeypatch.setenv("TUNESMITH_CHECKPOINTS", str(tmp_path / "none"))
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    code, out, err = run([str(reel) if a == "REEL" else a for a in argv], capsys)
    assert code == 1 and message in err, err
    assert err.count("\n") == 1 and err.startswith("error:") and "Traceback" not in out + err


def test_out_home_or_root_is_refused_and_tilde_expanded(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TUNESMITH_CHECKPOINTS", str(tmp_path / "none"))
    monkeypatch.chdir(tmp_path)
    for out in ("~", "/", str(tmp_path)):
        code, _, err = run(["melody", "--out", out], capsys)
        assert code == 1 and "itself; give a folder of its own" in err
    assert not (tmp_path / "~").exists()
    from tunesmith.agent.config import load_config

    assert load_config(overrides={"out_dir": Path("~/songs")}).out_dir == tmp_path / "songs"


def test_version_and_help_flags_without_bool(capsys) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.startswith("tunesmith ")
    for argv in (["chords", "--help"], ["chat", "--help"], ["corpus", "build", "--help"], ["--help"]):
        code, out, _ = run(argv, capsys)
        assert code == 0 and "--help" in out and "<bool>" not in out, argv
    code, out, _ = run(["chords", "--help"], capsys)
    assert "--all" in out and "<int>" in out  # flags lose <bool>, valued options keep their type


def test_printed_titles_lose_escape_sequences(tmp_path: Path, capsys) -> None:
    path = tmp_path / "evil.abc"
    path.write_text(REEL.replace("T:Test reel", "T:\x1b]0;pwned\x07Evil \x1b[2J\x1b[31mreel\u202e"))
    code, out, err = run(["analyze", str(path)], capsys)
    assert code == 0 and "Evil reel" in out
    assert not any(ch in out + err for ch in ("\x1b", "\x07", "\u202e"))


def test_chords_with_another_style_keeps_the_first_files(tmp_path: Path, capsys, monkeypatch) -> None:
    reel = tmp_path / "reel.abc"
    reel.write_text(REEL)
    monkeypatch.setenv("TUNESMITH_CHECKPOINTS", str(tmp_path / "none"))
    written = {}
    for style in ("pop", "bach-chorale"):
        code, out, err = run(["chords", str(reel), "--style", style, "--out", str(tmp_path / "out")], capsys)
        assert code == 0, err
        written[style] = {line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("wrote ")}
    assert written["pop"] and written["bach-chorale"] and not written["pop"] & written["bach-chorale"]
    assert all(Path(p).exists() for p in written["pop"] | written["bach-chorale"])


def test_run_json_with_a_melody_prints_only_json(tmp_path: Path, capsys, monkeypatch) -> None:
    import json

    import agent_fakes as fakes

    reel = tmp_path / "reel.abc"
    reel.write_text(REEL)
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TUNESMITH_CHECKPOINTS", str(tmp_path / "none"))
    monkeypatch.setattr("tunesmith.agent.models.make_chat_model", lambda spec, **_: fakes.scripted("a reel \x1b[2J"))
    code, out, err = run(["run", "what is it?", "--json", "--melody", str(reel), "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    data = json.loads(out)  # stdout is the JSON alone
    assert "loaded Test reel" in err and out.count("\n") == 1
    assert data["reply"] == "a reel \x1b[2J" and "\x1b" not in out  # kept as data, printed as \u001b


def test_run_with_a_bad_melody_file_fails(tmp_path: Path, capsys, monkeypatch) -> None:
    import agent_fakes as fakes

    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("tunesmith.agent.models.make_chat_model", lambda spec, **_: fakes.scripted("never"))
    code, out, err = run(["run", "hi", "--json", "--melody", str(tmp_path / "missing.mid"), "--out", str(tmp_path)],
                         capsys)
    assert code == 1 and out == "" and err.startswith("error:") and "missing.mid" in err
