"""Name one sounding chord the way the chord recommender learns it: symbol, Roman numeral, root, quality.

The vocabulary is deliberately small (12 roots x 10 qualities) because it is a training
target.  music21 does the first reading (`chordSymbolFigureFromChord`, `romanNumeralFromChord`);
its answers are kept where they fall inside the vocabulary and corrected where music21 is
known to be wrong: odd sonorities get the nearest template, and Roman figures are re-spelled
and checked against `RomanNumeral(figure, key).pitchClasses`, because `romanNumeralFromChord`
writes G major in A minor as "bVII" (which its own parser reads as G-flat) and E7 as "V75#3".
Import music21 only inside functions: the CLI imports this module at start-up.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ...tokenization.m21 import chord_symbol_from_m21
from ...tokenization.pitch import LETTERS

# Intervals above the root; the order breaks ties (plainer chords first).
TEMPLATES: dict[str, frozenset[int]] = {
    "maj": frozenset({0, 4, 7}), "min": frozenset({0, 3, 7}), "7": frozenset({0, 4, 7, 10}),
    "m7": frozenset({0, 3, 7, 10}), "dim": frozenset({0, 3, 6}), "maj7": frozenset({0, 4, 7, 11}),
    "hdim7": frozenset({0, 3, 6, 10}), "dim7": frozenset({0, 3, 6, 9}), "sus4": frozenset({0, 5, 7}),
    "aug": frozenset({0, 4, 8}),
}
QUALITIES: tuple[str, ...] = tuple(TEMPLATES)
SUFFIX = {"maj": "", "min": "m", "7": "7", "m7": "m7", "dim": "dim", "maj7": "maj7",
          "hdim7": "m7b5", "dim7": "dim7", "sus4": "sus4", "aug": "aug"}
# music21 chord-symbol suffixes that fall inside the vocabulary ("power"/"pedal" take the key's third).
_M21_SUFFIX = {"": "maj", "m": "min", "7": "7", "m7": "m7", "dim": "dim", "maj7": "maj7", "M7": "maj7",
               "ø7": "hdim7", "m7b5": "hdim7", "o7": "dim7", "dim7": "dim7", "sus": "sus4", "sus4": "sus4",
               "+": "aug", "aug": "aug", "power": "", "pedal": ""}
_FIGURE_RE = re.compile(r"^([A-G][-#]*)(.*)$")
_NUMERALS = ("I", "II", "III", "IV", "V", "VI", "VII")
_LOWER = {"min", "dim", "m7", "hdim7", "dim7"}
_MARK = {"dim": "o", "aug": "+", "hdim7": "ø", "dim7": "o"}
_SEVENTHS = {"7", "m7", "maj7", "hdim7", "dim7"}
_INVERSIONS = {3: ("", "6", "64"), 4: ("7", "65", "43", "42")}


@dataclass(frozen=True, slots=True)
class ChordLabel:
    """A chord named for people and for training: "Bb7", "V7/IV", root 10, quality "7", bass 10."""

    symbol: str
    roman: str
    root: int
    quality: str
    bass: int


def _scores(pitch_classes: set[int] | frozenset[int]):
    """(score, root, quality, order) of every template: 2 x shared - missing - extra tones."""
    for root in range(12):
        rel = {(pc - root) % 12 for pc in pitch_classes}
        for order, (quality, template) in enumerate(TEMPLATES.items()):
            yield 2 * len(rel & template) - len(template - rel) - len(rel - template), root, quality, order


def best_template(pitch_classes: set[int], *, prefer_root: int | None = None) -> tuple[int, str]:
    """The (root, quality) whose template fits a set of pitch classes best.

    Ties go to `prefer_root` (music21's root), then to the plainer quality.

    >>> best_template({0, 2, 7})  # C D G: G sus4
    (7, 'sus4')
    >>> best_template({4, 8, 2})  # E G# D: E7 without its fifth
    (4, '7')
    >>> best_template({0, 4, 7, 2}, prefer_root=0)  # C add9 is C
    (0, 'maj')
    """
    _, root, quality = max(
        (score + (0.5 if root == prefer_root else 0.0) - order / 100, root, quality)
        for score, root, quality, order in _scores(pitch_classes)
    )
    return root, quality


def template_fit(pitch_classes: set[int] | frozenset[int]) -> int:
    """How cleanly a sonority is one chord: minus the tones its best template misses or adds,
    one more point down for a suspension or an augmented triad (so when a 4-3 suspension and
    its resolution share a beat, the resolution names it).

    >>> template_fit({7, 11, 2}), template_fit({7, 11, 2, 5}), template_fit({7, 0, 2}), template_fit({7, 9, 11, 2})
    (0, 0, -1, -1)
    """
    best = -99
    for root in range(12):
        rel = {(pc - root) % 12 for pc in pitch_classes}
        for quality, template in TEMPLATES.items():
            misfit = len(template - rel) + len(rel - template) + (quality in ("sus4", "aug"))
            best = max(best, -misfit)
    return best


def _key_third(root_pc: int, key) -> str:
    """'maj' or 'min': the third the key's scale puts above a root (for bare fifths and unisons)."""
    scale = {p.pitchClass for p in key.getPitches()}
    if key.mode == "minor":
        scale.add((key.tonic.pitchClass + 11) % 12)  # the raised leading tone
    if (root_pc + 4) % 12 in scale:
        return "maj"
    return "min" if (root_pc + 3) % 12 in scale else "maj"


def _people_root(name: str) -> str:
    """A music21 pitch name as people write a chord root ('B-' -> 'Bb'; double accidentals simplified)."""
    from music21 import pitch

    if len(name) > 2:
        name = pitch.Pitch(name).simplifyEnharmonic().name
    return chord_symbol_from_m21(name)


@functools.lru_cache(maxsize=8192)
def _figure_pitches(figure: str, tonic: str, mode: str) -> tuple[frozenset[int], int] | None:
    """Pitch classes and bass of a Roman figure in a key, or None when music21 cannot read it."""
    from music21 import key as m21key
    from music21 import roman

    try:
        rn = roman.RomanNumeral(figure, m21key.Key(tonic, mode))
        return frozenset(rn.pitchClasses), rn.bass().pitchClass
    except Exception:  # noqa: BLE001 - music21 raises many kinds for unreadable figures
        return None


def _inversion(quality: str, bass_pc: int, root_pc: int) -> str | None:
    tones = sorted(TEMPLATES[quality])
    rel = (bass_pc - root_pc) % 12
    figures = _INVERSIONS[4 if quality in _SEVENTHS else 3]
    if quality == "sus4":
        return "54" if rel == 0 else None
    return figures[tones.index(rel)] if rel in tones else figures[0]


def _scale(key) -> set[int]:
    """Pitch classes of the key; minor adds the raised 6th and 7th (melodic/harmonic minor)."""
    pcs = {p.pitchClass for p in key.getPitches()}
    if key.mode == "minor":
        pcs |= {(key.tonic.pitchClass + 9) % 12, (key.tonic.pitchClass + 11) % 12}
    return pcs


def _secondary_targets(pc: int, key) -> list[str]:
    """Numerals of the diatonic major/minor triads on a pitch class (tonic excluded), e.g. ['ii']."""
    found = []
    for index, name in enumerate(_NUMERALS[1:], start=1):
        tonic = key.pitchFromDegree(index + 1).pitchClass
        third = key.pitchFromDegree((index + 2) % 7 + 1).pitchClass
        fifth = key.pitchFromDegree((index + 4) % 7 + 1).pitchClass
        if tonic != pc or (fifth - tonic) % 12 != 7:
            continue
        minor = (third - tonic) % 12 == 3 and not (key.mode == "minor" and index == 4)
        found.append(name.lower() if minor else name)
    return found


def roman_figure(root_name: str, quality: str, bass_pc: int, key, *, fallback: str = "") -> str:
    """The Roman figure of a (root, quality, bass) in a key, in the spelling RomanText analysts use.

    Candidates: the diatonic numeral, a secondary dominant or leading-tone chord, a chromatic
    b/# numeral (secondaries first when the chord leaves the scale); the first one whose
    `RomanNumeral` gives back the same pitch classes and bass wins.

    >>> from music21 import key
    >>> roman_figure("G", "maj", 7, key.Key("a")), roman_figure("E", "7", 8, key.Key("a"))
    ('VII', 'V65')
    >>> roman_figure("D", "7", 0, key.Key("C")), roman_figure("C#", "dim7", 1, key.Key("C"))
    ('V42/V', 'viio7/ii')
    >>> roman_figure("A", "maj", 9, key.Key("C")), roman_figure("A", "maj", 9, key.Key("a"))
    ('V/ii', 'I')
    >>> roman_figure("F", "7", 3, key.Key("f")), roman_figure("C", "7", 0, key.Key("C"))
    ('V42/iv', 'V7/IV')
    """
    from music21 import pitch

    root = pitch.Pitch(root_name)
    root_pc = root.pitchClass
    chord_pcs = frozenset((root_pc + i) % 12 for i in TEMPLATES[quality])
    inversion = _inversion(quality, bass_pc, root_pc)
    if inversion is None:
        return fallback
    degree = (LETTERS.index(root.step) - LETTERS.index(key.tonic.step)) % 7
    numeral = _NUMERALS[degree].lower() if quality in _LOWER else _NUMERALS[degree]
    body = _MARK.get(quality, "") + inversion
    diatonic = [numeral + body]
    if quality in ("maj", "7"):
        secondary = [f"V{body}/{t}" for t in _secondary_targets((root_pc + 5) % 12, key)]
    elif quality in ("dim", "dim7", "hdim7"):
        secondary = [f"vii{body}/{t}" for t in _secondary_targets((root_pc + 1) % 12, key)]
    else:
        secondary = []
    in_scale = chord_pcs <= _scale(key) or (root_pc == key.tonic.pitchClass and quality == "maj")
    candidates = (diatonic + secondary) if in_scale else (secondary + diatonic)
    candidates += ["b" + numeral + body, "#" + numeral + body]
    for candidate in candidates:
        if _figure_pitches(candidate, key.tonic.name, key.mode) == (chord_pcs, bass_pc):
            return candidate
    return fallback


def label_chord(chord_obj, key) -> ChordLabel:
    """Name a music21 Chord (one chordify slice) in a music21 Key.

    The symbol comes from `harmony.chordSymbolFigureFromChord` when its suffix is in the
    vocabulary, otherwise from the best template; the Roman figure is built from that
    (root, quality, bass) so symbol and numeral always describe the same chord.
    """
    from music21 import harmony, pitch, roman

    try:
        figure = harmony.chordSymbolFigureFromChord(chord_obj)
    except Exception:  # noqa: BLE001 - music21 raises for sonorities it cannot name
        figure = ""
    match = _FIGURE_RE.match(figure.split("/")[0])
    suffix_quality = _M21_SUFFIX.get(match.group(2)) if match else None
    if match and suffix_quality is not None:
        root_name = match.group(1)
        root_pc = pitch.Pitch(root_name).pitchClass
        quality = suffix_quality or _key_third(root_pc, key)
    else:
        pcs = {p.pitchClass for p in chord_obj.pitches}
        root_pc, quality = best_template(pcs, prefer_root=chord_obj.root().pitchClass)
        named = [p.name for p in chord_obj.pitches if p.pitchClass == root_pc]
        root_name = named[0] if named else _spell_pc(root_pc, key)
    chord_pcs = {(root_pc + i) % 12 for i in TEMPLATES[quality]}
    bass_pc = chord_obj.bass().pitchClass
    bass_pc = bass_pc if bass_pc in chord_pcs else root_pc
    numeral = roman_figure(root_name, quality, bass_pc, key)
    if not numeral:  # no clean reading (an inverted sus4, a chromatic seventh): music21's own figure
        try:
            numeral = roman.romanNumeralFromChord(chord_obj, key).figure
        except Exception:  # noqa: BLE001 - music21 raises many kinds for odd sonorities
            numeral = "?"
    return ChordLabel(symbol=_people_root(root_name) + SUFFIX[quality], roman=numeral,
                      root=root_pc, quality=quality, bass=bass_pc)


def _spell_pc(pc: int, key) -> str:
    """A root name for a pitch class no voice spells: the key's scale spelling, else music21's default."""
    from music21 import pitch

    for p in key.getPitches():
        if p.pitchClass == pc:
            return p.name
    return pitch.Pitch(pc).name
