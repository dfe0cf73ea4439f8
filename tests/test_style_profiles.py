"""The style classifier separates clearly different styles and round-trips through JSON."""

from __future__ import annotations

import doctest
import random
from pathlib import Path

from tunesmith.finetune.corpus import profiles as style_profiles
from tunesmith.finetune.corpus.profiles import build_profiles, load_profiles
from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note


def _waltz(rng: random.Random) -> Melody:
    pitch, notes = 67, []
    for i in range(24):
        pitch += rng.choice((-2, -1, 1, 2))
        notes.append(Note(pitch, i * 1.0, 1.0))
    return Melody(notes=tuple(notes), meter=Meter(3, 4), key=KeySpec("C"))


def _jig(rng: random.Random) -> Melody:
    notes = [Note(60 + rng.choice((0, 4, 7, 12, 16)), i * 0.5, 0.5) for i in range(48)]
    return Melody(notes=tuple(notes), meter=Meter(6, 8), key=KeySpec("C"))


def test_classifier_separates_styles_and_round_trips(tmp_path: Path) -> None:
    rng = random.Random(0)
    examples = [("waltz", _waltz(rng)) for _ in range(20)] + [("jig", _jig(rng)) for _ in range(20)]
    profiles = build_profiles(examples, steps=200)
    assert profiles.nearest(_waltz(rng)) == "waltz" and profiles.nearest(_jig(rng)) == "jig"
    profiles.save(tmp_path / "p.json")
    again = load_profiles(tmp_path / "p.json")
    probe = _jig(rng)
    assert again.rank(style_profiles.melody_features(probe)) == profiles.rank(style_profiles.melody_features(probe))


def test_doctests() -> None:
    assert doctest.testmod(style_profiles).failed == 0
