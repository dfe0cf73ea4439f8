"""Who writes a first draft of a lyric line: the `Drafter` protocol and two non-neural drafters.

`write_lyrics` asks a drafter for candidate lines and keeps only those the fitter accepts, so a
drafter may be imperfect; the pretrained language model (`pretrained.PretrainedDrafter`) and a bigger
LLM (`agent.lyrics_llm`) plug in here.
What a drafter receives per line: the theme, the syllable count, the stress pattern (one digit
per note, 4 = downbeat … 0 = weakest), the word or character to rhyme with (or None), the
language, a seed, the melody's steps in semitones ('+2 -1 0'), the line before (`previous`) and
every line of the verse so far (`verse`).

* `LexiconDrafter` (English) fills a small phrase grammar with words from the themed table in
  `lyrics_lexicon`, placing each word where its CMUdict stress fits the beats and ending on a
  rhyme.  It writes grammatical but plain lines; it is a placeholder for the model.
* `PoetryDrafter` (Mandarin, in `lyrics_drafter_zh`) chains characters of classical poetry.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Protocol

from . import en
from .lexicon import ADVERBS, AUXILIARIES, CONJUNCTIONS, DETERMINERS, PREPOSITIONS, SUBJECTS, match_themes, themes

class Drafter(Protocol):
    """Anything that proposes lines; `name` is shown to people as the drafter in use."""

    name: str

    def draft_line(self, *, theme: str, syllables: int, stress_pattern: str, rhyme_with: str | None,
                   lang: str, seed: int, contour: str = "",
                   previous: str = "", verse: tuple[str, ...] = ()) -> list[str]: ...


def _strengths(stress_pattern: str) -> tuple[float, ...]:
    return tuple(1.0 / 2 ** (4 - int(d)) if d != "0" else 1 / 32 for d in stress_pattern)


# --- English -------------------------------------------------------------------------------

_NP = (("DET", "N"), ("DET", "A", "N"), ("DET", "N", "OF", "ABS"), ("DET", "A", "N", "OF", "ABS"))
_ABSTRACT = frozenset("home love light night time morning evening spring summer winter sorrow hope rain snow "
                      "sea dream day memory silence freedom laughter childhood".split())
_END_CATEGORIES = ("N", "VI", "VIP", "ADV")
_OPENING_ADVERBS = ("now", "still", "once", "soon", "tonight", "today", "tomorrow", "slowly")


def _sequences() -> tuple[tuple[str, ...], ...]:
    """Every category sequence the little grammar makes."""
    pps = [("PREP", *np) for np in _NP]
    vp_base = [("VI",), ("VI", "ADV"), ("VI", "ADV")] + [("VI", *pp) for pp in pps] + [("VT", *np) for np in _NP]
    vp_past = [tuple(c + "P" if c in ("VI", "VT") else c for c in vp) for vp in vp_base]
    clauses = ([("SUBJ", *vp) for vp in vp_base + vp_past] + [("SUBJ", "AUX", *vp) for vp in vp_base]
               + [(*np, *vp) for np in _NP[:2] for vp in vp_past])
    lines = set(clauses)
    for clause in clauses:
        lines.add(("CONJ", *clause))
        if clause[0] == "SUBJ":
            lines.add(("OPEN", *clause))
    for np in _NP[:2]:
        for pp in pps:
            lines.add((*np, *pp))
            lines.add((*pp, "SUBJ", "VIP"))
    lines.add(("A", "N", "AND", "A", "N"))
    for np in _NP[1:]:  # a noun phrase alone, for short phrases: "and the cold rain"
        lines.add(np)
        lines.add(("CONJ", *np))
    return tuple(sorted(lines))


@dataclass(frozen=True)
class _Word:
    text: str
    patterns: tuple[str, ...]
    weight: float
    rhyme: frozenset[str]


@dataclass
class LexiconDrafter:
    """English lines from a themed word table and a phrase grammar (`--drafter rules`: no model)."""

    name: str = "rules (themed word lists, a phrase grammar)"
    candidates: int = 6
    node_limit: int = 3000
    _cache: dict = field(default_factory=dict, repr=False)

    def _vocabulary(self, theme: str) -> dict[str, list[_Word]]:
        if theme in self._cache:
            return self._cache[theme]
        chosen = {t.name for t in match_themes(theme)}
        pools: dict[str, dict[str, float]] = defaultdict(dict)

        def add(category: str, word: str, weight: float) -> None:
            pools[category][word] = max(weight, pools[category].get(word, 0.0))

        for row in themes():
            weight = 4.0 if row.name in chosen else 1.0
            for word in row.nouns:
                add("N", word, weight)
                if word in _ABSTRACT:
                    add("ABS", word, weight)
            for word in row.adjectives:
                add("A", word, weight)
            for base, past in row.verbs_intransitive:
                add("VI", base, weight)
                add("VIP", past, weight)
            for base, past in row.verbs_transitive:
                add("VT", base, weight)
                add("VTP", past, weight)
        if not chosen:  # an unknown theme: its own dictionary words become nouns
            for word in en.words_of(theme):
                if not en.is_function(word) and en.stress_patterns(word):
                    add("N", word.lower(), 6.0)
        for word, weight in DETERMINERS:
            add("DET", word, weight)
        for category, words in (("SUBJ", SUBJECTS), ("PREP", PREPOSITIONS),
                                ("CONJ", CONJUNCTIONS), ("AUX", AUXILIARIES), ("ADV", ADVERBS),
                                ("OPEN", _OPENING_ADVERBS),
                                ("OF", ("of",)), ("AND", ("and",))):
            for word in words:
                add(category, word, 1.0)
        # only the usual reading: 'our' as one syllable, 'spring' not as 'sp-er-ing'
        vocab = {c: [_Word(w, en.stress_patterns(w)[:1], wt, en.rhyme_parts(w)) for w, wt in sorted(ws.items())]
                 for c, ws in pools.items()}
        parts = [p for c in _END_CATEGORIES for w in {x.text: x for x in vocab[c]}.values() for p in w.rhyme]
        counts = Counter(parts)
        vocab["_rhymable"] = [w for c in _END_CATEGORIES for w in vocab[c] if any(counts[p] >= 3 for p in w.rhyme)]
        self._cache[theme] = vocab
        return vocab

    def draft_line(self, *, theme: str, syllables: int, stress_pattern: str, rhyme_with: str | None,
                   lang: str = "en", seed: int = 0, contour: str = "",
                   previous: str = "", verse: tuple[str, ...] = ()) -> list[str]:
        if lang != "en":
            raise ValueError("LexiconDrafter writes English only")
        rng = random.Random(seed)
        vocab = self._vocabulary(theme)
        strengths = _strengths(stress_pattern)
        sizes = {c: (min(len(p) for w in ws for p in w.patterns), max(len(p) for w in ws for p in w.patterns))
                 for c, ws in vocab.items()}
        target = en.rhyme_parts(rhyme_with) if rhyme_with else frozenset()
        if rhyme_with and not target:
            return []
        ends = {w.text for w in vocab["_rhymable"]} if not rhyme_with else None
        sequences = [s for s in _sequences() if s[-1] in _END_CATEGORIES
                     and sum(sizes[c][0] for c in s) <= syllables <= sum(sizes[c][1] for c in s)]
        rng.shuffle(sequences)
        out: list[str] = []
        for sequence in sequences:
            words = self._fill(sequence, vocab, sizes, strengths, (rhyme_with, target, ends), rng)
            if words is not None:
                line = _articles(words)
                if line not in out:
                    out.append(line)
            if len(out) >= self.candidates:
                break
        return out

    def _fill(self, sequence, vocab, sizes, strengths, rhyme, rng) -> list[str] | None:
        """Words for a category sequence: the rhyming last word first, then left to right."""
        n = len(strengths)
        inner = sequence[:-1]
        suffix_min = [sum(sizes[c][0] for c in inner[k:]) for k in range(len(inner) + 1)]
        suffix_max = [sum(sizes[c][1] for c in inner[k:]) for k in range(len(inner) + 1)]
        nodes = 0

        def fits(word: _Word, start: int) -> str | None:
            for pattern in word.patterns:
                end = start + len(pattern)
                if end > n:
                    continue
                span = strengths[start:end]
                if not en.stress_fits(pattern, span):
                    continue
                if len(pattern) == 1 and en.is_function(word.text) and span[0] >= 1.0:
                    continue
                if len(pattern) == 1 and not en.is_function(word.text) and span[0] < 0.125 and end < n:
                    continue  # a content word on the weakest subdivision sounds swallowed
                return pattern
            return None

        rhyme_with, target, ends = rhyme

        def end_ok(word: _Word) -> bool:
            if rhyme_with:
                return bool(word.rhyme & target) and word.text != rhyme_with.lower()
            return word.text in ends

        def ordered(words: list[_Word]) -> list[_Word]:
            """A weighted random order (exponential keys): themed words tend to come first."""
            return sorted(words, key=lambda w: -math.log(rng.random() + 1e-12) / w.weight)

        def search(k: int, used: int, chosen: list[str], stop: int) -> list[str] | None:
            nonlocal nodes
            nodes += 1
            if nodes > self.node_limit:
                return None
            if k == len(sequence) - 1:
                return chosen if used == stop else None
            remaining = stop - used
            for word in ordered(vocab[sequence[k]]):
                if word.text in chosen and sequence[k] not in ("DET", "PREP", "OF", "AND"):
                    continue
                pattern = fits(word, used)
                if pattern is None:
                    continue
                left = remaining - len(pattern)
                if not suffix_min[k + 1] <= left <= suffix_max[k + 1]:
                    continue
                found = search(k + 1, used + len(pattern), chosen + [word.text], stop)
                if found is not None:
                    return found
            return None

        for last in [w for w in ordered(vocab[sequence[-1]]) if end_ok(w)][:4]:
            for pattern in last.patterns:
                start = n - len(pattern)
                if start < 1 or fits(_Word(last.text, (pattern,), 1.0, last.rhyme), start) is None:
                    continue
                found = search(0, 0, [], start)
                if found is not None and last.text not in found:
                    return found + [last.text]
        return None


def _articles(words: list[str]) -> str:
    """'a' before a vowel sound becomes 'an'; the line starts with a capital."""
    out = []
    for k, word in enumerate(words):
        if word == "a" and k + 1 < len(words):
            first = en.phones(words[k + 1])
            if first and first[0][0] in "AEIOU":
                word = "an"
        out.append(word)
    out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(w if w != "i" else "I" for w in out)
