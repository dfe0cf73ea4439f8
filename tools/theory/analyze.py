"""Analyze a melody a person brings: key, meter, tempo, range, bars, nearest style, findings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ... import prompts
from ...tokenization.music import KeySpec, Song
from ...tokenization.pitch import note_name
from ..errors import ToolError
from .check import check_song
from .key import estimate_key
from ..types import Report


@dataclass(frozen=True, slots=True)
class Analysis:
    """What `tunesmith analyze` reports about one song."""

    song: Song
    key: KeySpec
    clarity: float
    declared_key: KeySpec | None
    styles: tuple[tuple[str, float], ...]
    report: Report

    @property
    def nearest_style(self) -> str | None:
        return self.styles[0][0] if self.styles else None

    def as_dict(self) -> dict:
        melody = self.song.melody
        pitches = [n.pitch for n in melody.notes]
        return {
            "title": self.song.title,
            "key": str(self.key), "key_clarity": round(self.clarity, 3),
            "declared_key": str(self.declared_key) if self.declared_key else None,
            "meter": str(melody.meter), "tempo": melody.tempo, "bars": melody.bars, "notes": len(pitches),
            "range": [note_name(min(pitches)), note_name(max(pitches))],
            "nearest_styles": [[s, round(v, 3)] for s, v in self.styles[:3]],
            "findings": self.report.as_dict(),
        }

    def text(self) -> str:
        melody = self.song.melody
        pitches = [n.pitch for n in melody.notes]
        style = "unknown (no style profiles found)"
        if self.styles:
            style = ", ".join(f"{s} ({v:.2f})" for s, v in self.styles[:3])
        head = prompts.render(
            "analysis", title=self.song.title, key=self.key, clarity=f"{self.clarity:.2f}",
            meter=melody.meter, tempo=melody.tempo, bars=melody.bars, low=note_name(min(pitches)),
            high=note_name(max(pitches)), span=max(pitches) - min(pitches), notes=len(pitches), style=style,
        )
        if self.declared_key and self.declared_key != self.key:
            head += f"\n  (the file declares {self.declared_key})"
        return head + "\n" + self.report.summary()


def analyze_song(song: Song, *, profiles_path: Path | None = None, voice: str | None = None) -> Analysis:
    """Run the key estimate, the theory checks and the style classifier on a song."""
    melody = song.melody
    if not melody.notes:
        raise ToolError("the melody has no notes to analyze")
    report = check_song(song, key=melody.key, voice=voice)
    key, clarity = report.estimated_key, report.clarity  # the checks ran music21's estimate already
    if key is None:
        key, clarity = estimate_key(melody)
    styles: tuple[tuple[str, float], ...] = ()
    if profiles_path is not None and Path(profiles_path).is_file():
        from ...finetune.corpus.profiles import load_profiles, melody_features

        profiles = load_profiles(Path(profiles_path))
        styles = tuple(profiles.rank(melody_features(melody, tonic_pc=key.pitch_class)))
    return Analysis(song=song, key=key, clarity=clarity, declared_key=melody.key, styles=styles, report=report)
