"""Shared test fixtures: tiny random models and checkpoints built in code, and a few tunes.

It also puts tests/ on sys.path, so the helper modules here import by name under
`--import-mode=importlib` (`import agent_fakes as fakes`: the scripted chat model).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from tiny_models import save_tiny_checkpoint  # noqa: E402
from tunes import down_tune  # noqa: E402


@pytest.fixture(scope="session")
def make_tiny_checkpoint() -> Callable[..., Path]:
    """`make_tiny_checkpoint(folder, half=True)`: a fresh tiny checkpoint in `folder`, for tests that
    add adapters or files to it."""
    return save_tiny_checkpoint


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """One shared tiny checkpoint (no adapters) at <tmp>/default; read only: use make_tiny_checkpoint
    to change one."""
    return save_tiny_checkpoint(tmp_path_factory.mktemp("tiny-ckpt") / "default")


@pytest.fixture(scope="session")
def tiny_runtime(tiny_checkpoint: Path):
    """The shared tiny checkpoint, loaded (no adapters)."""
    from tunesmith.finetune.runtime import load_runtime

    return load_runtime(tiny_checkpoint)


@pytest.fixture
def down_file(tmp_path: Path) -> Path:
    """tunes.down_tune written as <tmp>/down.abc (MIDI and MusicXML beside it)."""
    from tunesmith.tokenization.files import write_song

    return write_song(down_tune(), tmp_path, stem="down")["abc"]
