"""The non-neural Mandarin drafter: character chains from classical poetry, steered by tones.

A character-bigram model of public-domain poetry (Debian's fortunes-zh: 313 Tang poems and 94
Song ci, when installed) proposes characters; a beam search keeps the chains whose tones
follow the melody's steps, that use the theme's characters, and whose last character rhymes.
Without fortunes-zh it falls back to pypinyin's own phrase list (47k words, always installed),
which gives word-level rather than poem-level chains.  A placeholder for the lyrics model.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import zh
from .lexicon import match_themes

POETRY_FILES = (Path("/usr/share/games/fortunes/tang300"), Path("/usr/share/games/fortunes/song100"))
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_BREAK = re.compile(r"[^\u3400-\u4dbf\u4e00-\u9fff]+")


def poetry_segments(paths: tuple[Path, ...] = POETRY_FILES) -> list[str]:
    """Half-lines of the poems in fortunes files (titles and author lines dropped)."""
    segments: list[str] = []
    for path in paths:
        if not path.is_file():
            continue
        for line in _ANSI.sub("", path.read_text(encoding="utf-8", errors="replace")).splitlines():
            if line.startswith(("《", "作者")) or line.strip() == "%":
                continue
            segments.extend(s for s in _BREAK.split(line) if len(s) >= 2)
    return segments


def phrase_segments() -> list[str]:
    """pypinyin's phrase list, used when no poetry is installed."""
    from pypinyin.phrases_dict import phrases_dict

    return sorted(p for p in phrases_dict if 2 <= len(p) <= 4 and len(zh.han_chars(p)) == len(p))


@dataclass
class PoetryDrafter:
    """Mandarin lines, one character per note, from a character-bigram model of `segments`."""

    segments: list[str] | None = None
    name: str = "rules (classical-poetry character bigrams)"
    candidates: int = 6
    beam: int = 48
    _model: dict = field(default_factory=dict, repr=False)

    def source(self) -> str:
        """Which text the model was built from, for the person's report."""
        self._build()
        return self._model["source"]

    def _build(self) -> dict:
        if self._model:
            return self._model
        segments, source = self.segments, "given text"
        if segments is None:
            segments, source = poetry_segments(), "fortunes-zh Tang/Song poems"
            if not segments:
                segments, source = phrase_segments(), "pypinyin phrase list"
        pairs: dict[str, Counter] = defaultdict(Counter)
        unigram, starts = Counter(), Counter()
        for segment in segments:
            starts[segment[0]] += 1
            unigram.update(segment)
            for a, b in zip(segment, segment[1:]):
                pairs[a][b] += 1
        chars = sorted(unigram)
        from pypinyin import Style, lazy_pinyin

        readings = lazy_pinyin("".join(chars), style=Style.TONE3, neutral_tone_with_five=True)
        tone = {c: int(r[-1]) if r[-1:].isdigit() else 5 for c, r in zip(chars, readings)}
        rhyme = {c: zh.rhyme_class(c) for c in chars}
        by_class = Counter(rhyme.values())
        total = sum(unigram.values())
        self._model = {
            "pairs": pairs, "unigram": {c: n / total for c, n in unigram.items()},
            "starts": {c: n / len(segments) for c, n in starts.items()}, "tone": tone, "rhyme": rhyme,
            "frequent": [c for c, _ in unigram.most_common(80)],
            "rhymable": {k for k, n in by_class.items() if k and n >= max(2, min(40, len(chars) // 20))},
            "source": source,
        }
        return self._model

    def draft_line(self, *, theme: str, syllables: int, stress_pattern: str, rhyme_with: str | None,
                   lang: str = "zh", seed: int = 0, contour: str = "",
                   previous: str = "", verse: tuple[str, ...] = ()) -> list[str]:
        if lang != "zh":
            raise ValueError("PoetryDrafter writes Mandarin only")
        m = self._build()
        rng = random.Random(seed)
        steps = [int(x) for x in contour.split()] if contour else [0] * (syllables - 1)
        theme_chars = set(zh.han_chars(theme)) | {c for t in match_themes(theme) for c in t.han}
        target = zh.rhyme_class(zh.han_chars(rhyme_with)[-1]) if rhyme_with and zh.han_chars(rhyme_with) else None
        pool = list(dict.fromkeys(m["frequent"] + sorted(c for c in theme_chars if c in m["tone"])))
        beams: list[tuple[float, str]] = [(0.0, "")]
        for position in range(syllables):
            last = position == syllables - 1
            grown: dict[str, float] = {}
            for score, text in beams:
                prev = text[-1] if text else None
                # insertion order, not a set's: each option draws its own noise, so the order is the seed's
                options = dict.fromkeys([*pool, *(m["pairs"][prev] if prev else m["starts"])])
                for c in options:
                    tone = m["tone"].get(c, 5)
                    if tone == 5 or c in text:
                        continue
                    if last and (m["rhyme"].get(c) != target if target else m["rhyme"].get(c) not in m["rhymable"]):
                        continue
                    if last and rhyme_with and c == zh.han_chars(rhyme_with)[-1]:
                        continue
                    if prev is None:
                        p = 0.6 * m["starts"].get(c, 0.0) + 0.4 * m["unigram"].get(c, 1e-6)
                    else:
                        row = m["pairs"][prev]
                        p = 0.75 * row[c] / max(1, sum(row.values())) + 0.25 * m["unigram"].get(c, 1e-6)
                    gain = math.log(p + 1e-9)
                    if prev is not None:
                        agree = zh.pair_agrees(m["tone"][prev], tone, steps[position - 1])
                        gain += {True: 1.5, False: -2.5, None: 0.0}[agree]
                    gain += 1.5 if c in theme_chars else 0.0
                    gain += -0.7 * math.log(-math.log(rng.random() + 1e-12) + 1e-12)  # Gumbel noise
                    key = text + c
                    if grown.get(key, -1e9) < score + gain:
                        grown[key] = score + gain
            beams = sorted(((s, t) for t, s in grown.items()), reverse=True)[:self.beam]
            if not beams:
                return []
        out: list[str] = []
        for _, text in beams:  # varied openings rather than one chain with different endings
            if all(text[:2] != other[:2] for other in out):
                out.append(text)
        return out[:self.candidates]
