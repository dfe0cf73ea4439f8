"""tools/melody on a tiny random model: every entry point returns checked melodies of the asked shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunesmith.agent.cli import main
from tunesmith.tokenization.files import read_song
from tunesmith.tokenization.music import KeySpec, Meter
from tunesmith.tools.melody import compose as tool
from tunesmith.tools.errors import ToolError
from tunesmith.tools.melody.request import build_request, parse_range


@pytest.fixture(scope="module")
def runtime(tiny_runtime):
    """The shared tiny random model (conftest), no adapters."""
    return tiny_runtime


def _in_range(melody, request) -> bool:
    return all(request.low <= n.pitch <= request.high for n in melody.notes)


def test_new_melody_has_the_asked_shape(runtime) -> None:
    request = build_request(style="irish-jig", key="D", bars=4, seed=3)
    result = tool.new_melody(request, runtime=runtime)
    melody = result.melody
    assert melody.bars == 4 and melody.meter == Meter(6, 8) and melody.key == KeySpec("D")
    assert _in_range(melody, request) and result.report.ok and result.seed >= 3


def test_same_seed_same_melody(runtime) -> None:
    request = build_request(style="german-folk", key="F", bars=4, seed=7)
    assert tool.new_melody(request, runtime=runtime).melody == tool.new_melody(request, runtime=runtime).melody


def test_continue_keeps_the_given_bars(runtime) -> None:
    start = tool.new_melody(build_request(key="G", bars=2, seed=1), runtime=runtime).melody
    result = tool.continue_melody(start, runtime=runtime, request=build_request(key="G", bars=2, seed=5))
    assert result.melody.bars == 4
    kept = [n for n in result.melody.notes if n.onset < 2 * start.bar_length]
    assert [n.pitch for n in kept] == [n.pitch for n in start.notes]


def test_regenerate_keeps_the_middle(runtime) -> None:
    start = tool.new_melody(build_request(key="C", bars=6, seed=2), runtime=runtime).melody
    result = tool.regenerate_bars(start, keep=(3, 4), runtime=runtime, request=build_request(key="C", seed=9))
    bar = start.bar_length

    def middle(m):
        return [(n.pitch, n.onset) for n in m.notes if 2 * bar <= n.onset < 4 * bar]

    assert result.melody.bars == 6 and middle(result.melody) == middle(start)
    with pytest.raises(ToolError):
        tool.regenerate_bars(start, keep=(5, 9), runtime=runtime, request=build_request(key="C"))


def test_variation_keeps_the_opening(runtime) -> None:
    start = tool.new_melody(build_request(key="A minor", bars=4, seed=4), runtime=runtime).melody
    result = tool.vary_melody(start, runtime=runtime, request=build_request(key="A minor", seed=8))
    first = [n for n in result.melody.notes if n.onset < start.bar_length]
    assert result.melody.bars == 4 and [n.pitch for n in first] == [n.pitch for n in start.notes_in_bar(1)]


@pytest.mark.parametrize("text", ["C4", "C4-D4", "Z9-A5", "10-200"])
def test_bad_ranges(text: str) -> None:
    with pytest.raises(ToolError):
        parse_range(text)


def test_cli_melody_writes_files_and_is_reproducible(tiny_checkpoint: Path, tmp_path: Path, monkeypatch,
                                                    capsys) -> None:
    monkeypatch.setenv("TUNESMITH_CHECKPOINTS", str(tiny_checkpoint.parent))
    outputs = []
    for folder in ("a", "b"):
        with pytest.raises(SystemExit) as done:
            main(["melody", "--style", "irish-reel", "--key", "G", "--bars", "4", "--seed", "42",
                  "--out", str(tmp_path / folder)])
        assert done.value.code in (0, None)
        outputs.append(capsys.readouterr().out)
    assert outputs[0].split("time:")[0] == outputs[1].split("time:")[0]
    written = sorted((tmp_path / "a").iterdir())
    assert {p.suffix for p in written} == {".mid", ".musicxml", ".abc"}
    song = read_song(next(p for p in written if p.suffix == ".mid"))
    assert song.melody.bars >= 4 and "K:G" in (tmp_path / "a" / written[0].name).with_suffix(".abc").read_text()


def test_doctests() -> None:
    import doctest

    from tunesmith.tools.melody import request as melody_request

    for module in (tool, melody_request):
        assert doctest.testmod(module).failed == 0
