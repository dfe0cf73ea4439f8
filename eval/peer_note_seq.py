"""The note_seq peer: Magenta's chord inference (HMM over key and chord, one chord per bar), run in
its own venv on the very MIDI files tunesmith reads, so both are scored in the same run.

Set up once with `make peer` (a venv at ~/.cache/tunesmith/peer-venv with note-seq 0.0.5 from the
package registry; its pins install on Python 3.11 as they are).  tunesmith never imports
note_seq: eval/peer_note_seq_run.py is started as a script under the peer's Python, once for all
files, and answers chords in quarter notes from the file's time 0.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..tokenization.music import ChordEvent

DEFAULT_PYTHON = Path.home() / ".cache" / "tunesmith" / "peer-venv" / "bin" / "python"
RUNNER = Path(__file__).with_name("peer_note_seq_run.py")
SETUP = "make peer"


class PeerMissing(RuntimeError):
    """The peer's venv is not there or cannot import note_seq (one line, says how to set it up)."""


@dataclass(frozen=True, slots=True)
class PeerCharts:
    """What the peer answered: a chart per file (empty where it failed), its errors and version."""

    charts: tuple[tuple[ChordEvent, ...], ...]
    errors: tuple[str | None, ...]
    version: str


def note_seq_chords(files: list[Path], *, python: Path = DEFAULT_PYTHON, chords_per_bar: int = 1,
                    timeout: float = 1800.0) -> PeerCharts:
    """Chords note_seq infers for each MIDI file (quarter notes from the file's time 0)."""
    if not Path(python).exists():
        raise PeerMissing(f"no peer Python at {python}; set it up with `{SETUP}` (or pass --peer-python)")
    request = json.dumps({"files": [str(f) for f in files], "chords_per_bar": chords_per_bar, "steps_per_quarter": 4})
    try:
        done = subprocess.run([str(python), str(RUNNER)], input=request, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise PeerMissing(f"the note_seq peer did not run ({err})") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise PeerMissing(f"the note_seq peer failed: {last}; set it up with `{SETUP}`")
    answer = json.loads(done.stdout)
    charts, errors = [], []
    for result in answer["results"]:
        errors.append(result.get("error"))
        charts.append(tuple(ChordEvent(symbol, onset, end - onset) for symbol, onset, end in result.get("chords", ())
                            if symbol != "N.C."))
    return PeerCharts(charts=tuple(charts), errors=tuple(errors), version=answer["note_seq"])
