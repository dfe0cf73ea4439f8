"""The chords a style may use in a key, spelled for people and named with Roman numerals.

A chord is kept in key-relative form (root semitones above the tonic + quality), so priors
counted in one key serve all twelve.  Spelling: a root on the key's scale takes the scale's
name (E# in F# major); a chromatic root takes the name whose Roman numeral reads plainly
(Ab in C is bVI, G#dim is vii°/vi).  Every symbol is checked against music21's ChordSymbol
after the flats fix, so nothing unreadable or mis-spelled leaves this module.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ...finetune.harmony.chords import SUFFIX, TEMPLATES
from ...tokenization.music import KeySpec
from ...tokenization.pitch import MODES, parallel_mode
from ..errors import ToolError
from ..theory.chords import chord_pitch_classes

LEAD_SHEET = "lead-sheet"
CHORALE = "chorale"
# Lead sheets: the mode's major and minor triads plus the dominant seventh (and V, V7 in minor).
LEAD_SHEET_CHORDS: dict[str, tuple[tuple[int, str], ...]] = {
    "major": ((0, "maj"), (2, "min"), (4, "min"), (5, "maj"), (7, "maj"), (7, "7"), (9, "min")),
    "minor": ((0, "min"), (3, "maj"), (5, "min"), (7, "min"), (7, "maj"), (7, "7"), (8, "maj"), (10, "maj")),
    "dorian": ((0, "min"), (2, "min"), (3, "maj"), (5, "maj"), (7, "min"), (10, "maj")),
    "mixolydian": ((0, "maj"), (2, "min"), (5, "maj"), (7, "min"), (9, "min"), (10, "maj")),
}
_PARALLEL = {mode: parallel_mode(mode) for mode in MODES}
_DARK = {"min", "m7", "dim", "hdim7", "dim7"}


@dataclass(frozen=True, slots=True)
class Chord:
    """One chord in a key: relative root, quality, spelled symbol, Roman numeral, pitch classes."""

    rel: int
    quality: str
    root: int
    symbol: str
    roman: str
    pcs: frozenset[int]

    @property
    def label(self) -> str:
        """Key-relative id used by the priors, e.g. '7:7' for V7."""
        return f"{self.rel}:{self.quality}"

    @property
    def function(self) -> str:
        return roman_function(self.roman)

    @property
    def dark(self) -> bool:
        return self.quality in _DARK


def style_family(style: str | None) -> str:
    """'chorale' for Bach chorales, 'lead-sheet' for every folk, fiddle, pop and jazz-lite style
    (the chord styles of chord_styles.toml, then the corpus styles)."""
    if style is None:
        return LEAD_SHEET
    from .chord_styles import chord_styles, find_style

    slug = style.strip().lower().replace(" ", "-").replace("_", "-")
    chord_style = find_style(slug)
    if chord_style is not None:
        return chord_style.family
    from ...tokenization.errors import MusicValueError
    from ...tokenization.styles import get_style

    try:
        found = get_style(slug).name
    except MusicValueError as err:
        names = ", ".join(name for s in chord_styles() for name in (s.name, *s.aliases[:1]))
        raise ToolError(f"{err}; for chords also: {names}") from None
    return CHORALE if found == "bach-chorale" else LEAD_SHEET


def roman_function(roman: str) -> str:
    """Harmonic function of a Roman figure: T(onic), S(ubdominant), D(ominant), A(pplied).

    >>> [roman_function(r) for r in ("I6", "vi", "ii65", "IV", "V7", "viio6", "V7/V", "bVII", "iii")]
    ['T', 'T', 'S', 'S', 'D', 'D', 'A', 'D', 'T']
    """
    if "/" in roman:
        return "A"
    match = re.match(r"^[b#]?([ivIV]+)", roman)
    if not match:
        return "?"
    degree = ("I", "II", "III", "IV", "V", "VI", "VII").index(match.group(1).upper()) + 1
    return {1: "T", 3: "T", 6: "T", 2: "S", 4: "S", 5: "D", 7: "D"}[degree]


def numeral_of(roman: str) -> str:
    """A Roman figure without inversion digits: 'V65/V' -> 'V7/V' style stays comparable.

    >>> numeral_of("V65"), numeral_of("viio7/ii"), numeral_of("I64"), numeral_of("ii6")
    ('V', 'viio/ii', 'I', 'ii')
    """
    head, _, tail = roman.partition("/")
    head = re.sub(r"\d", "", head).rstrip()
    return head + (f"/{tail}" if tail else "")


@functools.lru_cache(maxsize=64)
def _m21_key(tonic: str, mode: str):
    from music21 import key as m21key

    return m21key.Key(tonic, mode)


@functools.lru_cache(maxsize=64)
def _scale_names(tonic: str, mode: str) -> dict[int, str]:
    return {p.pitchClass: p.name for p in _m21_key(tonic, mode).getPitches()}


@functools.lru_cache(maxsize=4096)
def _roman(tonic: str, mode: str, root_name: str, quality: str, bass_pc: int) -> str:
    from ...finetune.harmony.chords import roman_figure

    return roman_figure(root_name, quality, bass_pc, _m21_key(tonic, mode), fallback="")


def _spellings(pc: int) -> list[str]:
    """Every music21 name of a pitch class with at most a double accidental.

    >>> _spellings(0), _spellings(7)
    (['C', 'D--', 'B#'], ['F##', 'G', 'A--'])
    """
    accidentals = {10: "--", 11: "-", 0: "", 1: "#", 2: "##"}
    names = []
    for letter, base in (("C", 0), ("D", 2), ("E", 4), ("F", 5), ("G", 7), ("A", 9), ("B", 11)):
        diff = (pc - base) % 12
        if diff in accidentals:
            names.append(letter + accidentals[diff])
    return names


@functools.lru_cache(maxsize=1024)
def _root_name(roman: str, tonic: str, mode: str) -> str:
    """The root of a Roman figure in a key, spelled by music21 (viio/V in F# major: B#)."""
    from music21 import roman as m21roman

    return m21roman.RomanNumeral(roman, _m21_key(tonic, mode)).root().name


def _people(name: str) -> str:
    return name.replace("-", "b")


@functools.lru_cache(maxsize=4096)
def make_chord(key: KeySpec, rel: int, quality: str) -> Chord:
    """The Chord `rel` semitones above the tonic of `key` with `quality`, spelled and named."""
    if quality not in TEMPLATES:
        raise ToolError(f"unknown chord quality {quality!r}")
    tonic, mode = key.m21_tonic, key.mode
    root = (key.pitch_class + rel) % 12
    scale = _scale_names(tonic, mode)
    if root in scale:
        name = scale[root]
        roman = _roman(tonic, mode, name, quality, root)
    else:  # read every spelling, keep the plainest numeral, then let music21 spell its root
        sharp_first = quality in ("dim", "dim7", "hdim7")
        readings = [(_roman(tonic, mode, n, quality, root), n) for n in _spellings(root)]
        roman, name = max(readings, key=lambda rn: (bool(rn[0]), not rn[0].startswith(("b", "#")), "/" in rn[0],
                                                    rn[0].startswith("#") == sharp_first, -len(rn[1])))
        name = _root_name(roman, tonic, mode) if roman else name
    if len(name) > 2:  # a double sharp or flat: people write the plain enharmonic (F## -> G)
        from music21 import pitch

        name = pitch.Pitch(name).simplifyEnharmonic().name
    symbol = _people(name) + SUFFIX[quality]
    pcs = frozenset((root + i) % 12 for i in TEMPLATES[quality])
    if chord_pitch_classes(symbol) != pcs:
        raise ToolError(f"internal: chord symbol {symbol!r} does not read back as the intended chord")
    return Chord(rel=rel, quality=quality, root=root, symbol=symbol, roman=roman or _fallback_roman(rel, quality),
                 pcs=pcs)


def _fallback_roman(rel: int, quality: str) -> str:
    numerals = {0: "I", 1: "bII", 2: "II", 3: "bIII", 4: "III", 5: "IV", 6: "#IV", 7: "V", 8: "bVI", 9: "VI",
                10: "bVII", 11: "VII"}
    base = numerals[rel]
    prefix = base[0] if base[0] in "b#" else ""
    if quality in _DARK:
        base = prefix + base[len(prefix):].lower()
    return base + {"dim": "o", "dim7": "o7", "hdim7": "ø7", "7": "7", "m7": "7", "maj7": "maj7", "aug": "+",
                   "sus4": "sus4"}.get(quality, "")


def candidate_chords(key: KeySpec, family: str, *, min_count: int = 15) -> tuple[Chord, ...]:
    """The chords a style family may use in a key.

    Lead sheets: LEAD_SHEET_CHORDS.  Chorales: every key-relative chord Bach uses at least
    `min_count` times in the training chorales of the (parallel) mode.
    """
    if family == LEAD_SHEET:
        labels = LEAD_SHEET_CHORDS[key.mode]
    elif family == CHORALE:
        from .tables import CHORALE_UNIGRAMS

        counts = CHORALE_UNIGRAMS[_PARALLEL[key.mode]]
        labels = tuple(_split(label) for label, n in counts.items() if n >= min_count)
    else:
        raise ToolError(f"unknown style family {family!r}")
    if family == CHORALE and key.mode != _PARALLEL[key.mode]:
        key = KeySpec(key.tonic, _PARALLEL[key.mode])  # chorale harmony is major/minor
    return tuple(make_chord(key, rel, quality) for rel, quality in labels)


def _split(label: str) -> tuple[int, str]:
    rel, quality = label.split(":")
    return int(rel), quality


def chord_from_label(key: KeySpec, label: str) -> Chord:
    rel, quality = _split(label)
    return make_chord(key, rel, quality)


def parallel_mode(mode: str) -> str:
    return _PARALLEL[mode]
