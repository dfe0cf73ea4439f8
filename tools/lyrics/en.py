"""English words against a melody: syllables, lexical stress and rhyme from CMUdict, and a fitter.

CMUdict comes through `pronouncing` (offline, 126k words).  Monosyllabic function words are
listed as stressed or unstressed inconsistently, so they count as weak here.  A line fits a
phrase when it has one syllable per slot, every word of two or more syllables has its primary
stress on a beat at least as strong as each of its unstressed syllables (stress–beat alignment,
SBA), and no function word sits on a downbeat.  Homographs ("record") keep every reading and
the melody picks the one that fits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .slots import Phrase

FUNCTION_WORDS = frozenset("""
a an the this that these those my your his her its our their thy thine mine
i me we us you ye he him she it they them who whom what which whose thee thou
of in on at by to for from with into onto upon up down out off over under through
as than like and or but nor so yet if when while though till until since because
be am is are was were been being do does did have has had shall will would should
can could may might must not no o oh there here where how then too all some such
""".split())

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
_VOWELS = re.compile(r"[aeiouy]+", re.I)


def words_of(text: str) -> list[str]:
    """The words of a line, apostrophes kept.

    >>> words_of("Don't leave, my love!")
    ["Don't", 'leave', 'my', 'love']
    """
    return _WORD.findall(text)


def phones(word: str) -> list[str]:
    """CMUdict pronunciations of a word ([] when unknown)."""
    import pronouncing

    return pronouncing.phones_for_word(word.lower())


def is_function(word: str) -> bool:
    return word.lower() in FUNCTION_WORDS


def stress_patterns(word: str) -> tuple[str, ...]:
    """Distinct stress patterns, '1' primary, '2' secondary, '0' none; () when unknown.
    CMUdict's first (usual) reading comes first.

    >>> stress_patterns("melody"), stress_patterns("record"), stress_patterns("the")
    (('100',), ('01', '10'), ('0',))
    """
    import pronouncing

    found = phones(word)
    if not found:
        return ()
    weak = "0" if is_function(word) else "1"
    patterns = [weak if len(p) == 1 else p for p in (pronouncing.stresses(f) for f in found)]
    if is_function(word) and weak in patterns:
        patterns.insert(0, weak)  # 'our' and 'every' are sung short more often than CMUdict's first reading
    return tuple(dict.fromkeys(patterns))


def syllable_counts(word: str) -> tuple[int, ...]:
    """Possible syllable counts of a word ('fire' has one reading of each).

    >>> syllable_counts("melody"), syllable_counts("xqzt")
    ((3,), ())
    """
    return tuple(sorted({len(p) for p in stress_patterns(word)}))


def rhyme_parts(word: str) -> frozenset[str]:
    """The rhyming parts (last stressed vowel onward) of every pronunciation.

    >>> sorted(rhyme_parts("night"))
    ['AY1 T']
    """
    import pronouncing

    return frozenset(pronouncing.rhyming_part(p).replace("2", "1") for p in phones(word))


def rhymes(a: str, b: str, *, identical: bool = False) -> bool:
    """True when two words share a rhyming part; the same word counts only with `identical`.

    >>> rhymes("home", "roam"), rhymes("home", "house"), rhymes("night", "night")
    (True, False, False)
    """
    if a.lower() == b.lower():
        return identical and bool(rhyme_parts(a))
    return bool(rhyme_parts(a) & rhyme_parts(b))


def split_syllables(word: str, count: int) -> list[str]:
    """Spell a word as `count` syllables for printing under notes ('morn', 'ing').

    >>> split_syllables("morning", 2), split_syllables("evening", 2), split_syllables("away", 2)
    (['morn', 'ing'], ['even', 'ing'], ['a', 'way'])
    """
    if count <= 1 or len(word) < count:
        return [word] + [""] * (count - 1) if count > 1 else [word]
    import pyphen

    positions = pyphen.Pyphen(lang="en_US").positions(word)
    if len(positions) == count - 1:
        cuts = positions
    else:
        groups = [m.span() for m in _VOWELS.finditer(word)]
        if len(groups) > 1 and word.lower().endswith("e") and groups[-1][0] == len(word) - 1:
            groups = groups[:-1]  # silent final e
        if len(groups) == count:
            cuts = []
            for (_, end), (start, _) in zip(groups, groups[1:]):
                cluster = start - end
                cuts.append(end if cluster <= 1 else end + 1)
        else:
            step = len(word) / count
            cuts = [round(step * k) for k in range(1, count)]
    bounds = [0, *cuts, len(word)]
    return [word[lo:hi] for lo, hi in zip(bounds, bounds[1:])]


def stress_fits(pattern: str, strengths: tuple[float, ...]) -> bool:
    """SBA for one word: the primary stress is on a beat at least as strong as each
    unstressed syllable (monosyllables always pass here).

    >>> stress_fits("10", (1.0, 0.25)), stress_fits("01", (1.0, 0.25)), stress_fits("100", (0.5, 0.25, 1.0))
    (True, False, False)
    """
    if len(pattern) < 2:
        return True
    main = pattern.index("1") if "1" in pattern else pattern.index("2") if "2" in pattern else 0
    return all(strengths[main] >= s - 1e-9 for k, s in enumerate(strengths) if pattern[k] == "0")


@dataclass(frozen=True, slots=True)
class WordFit:
    """One word of a fitted line: its spelled syllables and how it sits on the beats."""

    word: str
    syllables: tuple[str, ...]
    pattern: str
    strengths: tuple[float, ...]
    function: bool

    @property
    def stress_ok(self) -> bool:
        return stress_fits(self.pattern, self.strengths)

    @property
    def function_on_downbeat(self) -> bool:
        return self.function and len(self.pattern) == 1 and self.strengths[0] >= 1.0


@dataclass(frozen=True, slots=True)
class LineFit:
    """A line checked against a phrase; `ok` means it may be returned to a person."""

    text: str
    words: tuple[WordFit, ...]
    slots: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def syllables(self) -> int:
        return sum(len(w.pattern) for w in self.words)

    @property
    def stress_score(self) -> float:
        """Share of words of 2+ syllables with SBA (1.0 when there are none)."""
        poly = [w for w in self.words if len(w.pattern) > 1]
        return sum(w.stress_ok for w in poly) / len(poly) if poly else 1.0

    @property
    def last_word(self) -> str:
        return self.words[-1].word if self.words else ""


def _readings(words: list[str]) -> list[tuple[str, ...]] | None:
    readings = [stress_patterns(w) for w in words]
    return None if any(not r for r in readings) else readings


def fit_line(text: str, phrase: Phrase) -> LineFit:
    """Align a line to a phrase's slots, choosing the reading of each word that fits best."""
    words = words_of(text)
    strengths = phrase.strengths
    readings = _readings(words)
    if not words:
        return LineFit(text, (), phrase.syllables, ("the line has no words",))
    if readings is None:
        unknown = [w for w in words if not stress_patterns(w)]
        return LineFit(text, (), phrase.syllables, (f"not in the pronouncing dictionary: {', '.join(unknown)}",))
    # dynamic programming over readings so the syllable total matches the slots when it can;
    # the usual reading wins a tie
    states: dict[int, tuple[float, list[WordFit]]] = {0: (0.0, [])}
    for word, options in zip(words, readings):
        nxt: dict[int, tuple[float, list[WordFit]]] = {}
        for used, (so_far, fitted) in states.items():
            for rank, pattern in enumerate(options):
                end = used + len(pattern)
                span = strengths[used:end] if end <= len(strengths) else (0.0,) * len(pattern)
                fit = WordFit(word, tuple(split_syllables(word, len(pattern))), pattern, tuple(span), is_function(word))
                score = so_far + fit.stress_ok - 2 * fit.function_on_downbeat - 0.01 * rank
                if end not in nxt or score > nxt[end][0]:
                    nxt[end] = (score, fitted + [fit])
        states = nxt
    exact = states.get(len(strengths))
    fitted = (exact if exact is not None else min(states.items(), key=lambda kv: abs(kv[0] - len(strengths)))[1])[1]
    problems = []
    total = sum(len(w.pattern) for w in fitted)
    if total != len(strengths):
        problems.append(f"{total} syllables for {len(strengths)} notes")
    else:
        for w in fitted:
            if not w.stress_ok:
                problems.append(f"stress of '{w.word}' falls on a weak beat")
            if w.function_on_downbeat:
                problems.append(f"function word '{w.word}' on a downbeat")
    return LineFit(text, tuple(fitted), len(strengths), tuple(problems))
