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
