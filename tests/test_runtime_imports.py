"""Run-time paths never import training modules (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

TRAINING = ("tunesmith.finetune.chat.train", "tunesmith.finetune.pretrain",
            "tunesmith.finetune.release", "tunesmith.finetune.recipe", "tunesmith.finetune.train",
            "tunesmith.finetune.corpus.dataset", "tunesmith.finetune.chat.data", "tunesmith.finetune.harmony.data")


def _imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_drafting_lyrics_on_the_pretrained_model_imports_no_training_module_and_no_transformers() -> None:
    code = ("import tunesmith.tools.lyrics.pretrained, tunesmith.tools.lyrics.write, tunesmith.finetune.lm.lean\n"
            "import tunesmith.finetune.lm.gemma, tunesmith.finetune.lm.base")
    imported = _imported_after(code)
    assert not imported & set(TRAINING) and "transformers" not in imported and "peft" not in imported


def test_the_chat_backends_and_the_runtime_import_no_training_module() -> None:
    code = "import tunesmith.finetune.runtime, tunesmith.finetune.chat.embedded, tunesmith.finetune.chat.hf"
    assert not _imported_after(code) & set(TRAINING)


def test_the_actions_and_what_they_run_import_no_training_module() -> None:
    code = ("import tunesmith.tools.actions.melody, tunesmith.tools.actions.chords, tunesmith.tools.actions.lyrics\n"
            "import tunesmith.tools.actions.song, tunesmith.tools.melody.compose, tunesmith.tools.melody.request\n"
            "import tunesmith.tools.chords.recommend, tunesmith.tools.lyrics.write, tunesmith.agent.toolkit")
    assert not _imported_after(code) & set(TRAINING)
