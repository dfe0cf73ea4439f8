"""`tunesmith adapt` on a tiny model: bad files are skipped and reported, the style becomes usable."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunesmith.finetune.runtime import load_runtime
from tunesmith.tokenization.files import write_song
from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note, Song
from tunesmith.tools.melody.adapt import adapt_style, check_name, collect_records
from tunesmith.tools.errors import ToolError
from tunesmith.tools.melody.compose import new_melody
from tunesmith.tools.melody.request import build_request


def _files(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        notes = tuple(Note(60 + (i + j) % 8, j * 1.0, 1.0) for j in range(16))
        song = Song(melody=Melody(notes=notes, meter=Meter(4, 4), key=KeySpec("C")), title=f"t{i}")
        write_song(song, folder, stem=f"tune{i}")
    (folder / "broken.mid").write_bytes(b"not a midi file at all")


@pytest.mark.parametrize("name", ["Bad Name", "melody", "irish-reel", "x"])
def test_bad_style_names(name: str) -> None:
    with pytest.raises(ToolError):
        check_name(name)


def test_too_few_files_is_a_clear_error(tmp_path: Path) -> None:
    _files(tmp_path, 1)
    with pytest.raises(ToolError, match="usable music files"):
        collect_records(tmp_path, name="mine")


def test_adapt_trains_a_usable_style(tmp_path: Path, make_tiny_checkpoint) -> None:
    base = make_tiny_checkpoint(tmp_path / "ckpt" / "default")
    _files(tmp_path / "mine", 6)
    home = tmp_path / "styles"
    result = adapt_style(tmp_path / "mine", name="my-tunes", base_dir=base, styles_home=home,
                         run_dir=tmp_path / "run", steps=2, progress=False)
    assert (result.folder / "adapter_config.json").is_file()
    assert any(name.startswith("broken") for name, _ in result.skipped)
    assert len(result.used) >= 5 * 3  # .mid, .musicxml and .abc of each tune
    runtime = load_runtime(base, user_styles=home)
    assert "my-tunes" in runtime.adapters
    melody = new_melody(build_request(style="my-tunes", key="C", bars=2, seed=1, adapters=runtime.adapters),
                        runtime=runtime).melody
    assert melody.bars == 2
