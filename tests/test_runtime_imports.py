"""Run-time paths never import training modules (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

TRAINING = ("tunesmith.tools.lyrics.train", "tunesmith.finetune.chat.train", "tunesmith.finetune.pretrain",
            "tunesmith.finetune.release", "tunesmith.finetune.recipe", "tunesmith.finetune.train",
            "tunesmith.finetune.corpus.dataset", "tunesmith.finetune.chat.data", "tunesmith.finetune.harmony.data")


def _imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_drafting_lyrics_reads_the_prompt_file_without_the_training_module(tmp_path) -> None:
    code = ("from types import SimpleNamespace\n"
            "from tunesmith.tools.lyrics.model import ModelDrafter\n"
            f"assert ModelDrafter(runtime=SimpleNamespace(directory={str(tmp_path)!r})).reads_previous() is False")
    assert not _imported_after(code) & set(TRAINING)


def test_the_chat_backends_and_the_runtime_import_no_training_module() -> None:
    code = "import tunesmith.finetune.runtime, tunesmith.finetune.chat.embedded, tunesmith.finetune.chat.hf"
    assert not _imported_after(code) & set(TRAINING)


def test_the_prompt_file_round_trips(tmp_path) -> None:
    from tunesmith.tools.lyrics.prompt_file import reads_previous_line, write_prompt_file

    assert reads_previous_line(tmp_path) is False
    write_prompt_file(tmp_path, previous_line=True)
    assert reads_previous_line(tmp_path) is True


def test_the_actions_and_what_they_run_import_no_training_module() -> None:
    code = ("import tunesmith.tools.actions.melody, tunesmith.tools.actions.chords, tunesmith.tools.actions.lyrics\n"
            "import tunesmith.tools.actions.song, tunesmith.tools.melody.compose, tunesmith.tools.melody.request\n"
            "import tunesmith.tools.chords.recommend, tunesmith.tools.lyrics.write, tunesmith.agent.toolkit")
    assert not _imported_after(code) & set(TRAINING)
