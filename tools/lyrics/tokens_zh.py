"""Mandarin lines in the pretrained model's own tokens: whole tokens of known, full-tone characters.

A Chinese token may hold several characters ('离开了', '故乡'); a token is allowed when each of its
characters fits the next note: the tone budget of `constraint_zh.MandarinLine` (tones following
the melody on enough pairs, a look-ahead that keeps the end reachable) and, for the last note,
the rhyme class.  Tokens are grouped by their tone sequence, so a step checks a few hundred
groups rather than every token.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from . import zh
from .constraint_zh import HanChars, MandarinLine
from .tokens_en import unsung_words


class MandarinTokens:
    """The all-Han tokens of a tokenizer's vocabulary and the characters they are made of."""

    def __init__(self, tokenizer: Any, *, max_chars: int = 4) -> None:
        vocab = tokenizer.get_vocab()  # a piece with a word space ('▁') never sits inside Chinese text
        han = {t: p for p, t in vocab.items() if p and len(p) <= max_chars and len(zh.han_chars(p)) == len(p)}
        self.chars = HanChars.of({c for s in han.values() for c in s})
        crude = [w for w in unsung_words() if zh.han_chars(w)]
        self.pieces = {t: s for t, s in han.items() if all(c in self.chars.tone for c in s)
                       and not any(w in s for w in crude)}
        self.words = frozenset(t for t, s in self.pieces.items() if len(s) > 1)  # may appear once in a line
        self.groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for token, text in sorted(self.pieces.items()):
            self.groups[tuple(self.chars.tone[c] for c in text)].append(token)
        self.rows = frozenset(self.pieces)


class MandarinTokenLine:
    """`allowed(tokens)` for one phrase of `len(steps) + 1` notes."""

    def __init__(self, lexicon: MandarinTokens, steps: list[int], *, end: int, rhyme_with: str | None = None,
                 banned_last: tuple[str, ...] = (), min_agreement: float = zh.MIN_AGREEMENT) -> None:
        self.lex, self.end = lexicon, end
        self.line = MandarinLine(lexicon.chars, steps, rhyme_with=rhyme_with, banned_last=banned_last,
                                 min_agreement=min_agreement, follow=False)
        self.n = self.line.n
        self.possible = self.line.possible
        self._allowed: dict[tuple[int, ...], frozenset[int]] = {}

    def text(self, tokens: tuple[int, ...]) -> str:
        return "".join(self.lex.pieces[t] for t in tokens)

    def _misses(self, text: str) -> int:
        tone = self.lex.chars.tone
        return sum(self.line._miss(tone[a], tone[b], k) for k, (a, b) in enumerate(zip(text, text[1:])))

    def __call__(self, tokens: tuple[int, ...]) -> frozenset[int]:
        if tokens in self._allowed:
            return self._allowed[tokens]
        text = self.text(tokens)
        i = len(text)
        if i >= self.n:
            result = frozenset({self.end}) if i == self.n else frozenset()
        else:
            misses = self._misses(text)
            prev = self.lex.chars.tone[text[-1]] if text else None
            out: list[int] = []
            for group, members in self.lex.groups.items():
                if i + len(group) > self.n or not self._group_fits(group, i, prev, misses):
                    continue
                if i + len(group) == self.n:
                    out.extend(t for t in members if self.lex.pieces[t][-1] in self.line.finals)
                else:
                    out.extend(members)
            result = frozenset(out)
        self._allowed[tokens] = result
        return result

    def _group_fits(self, group: tuple[int, ...], i: int, prev: int | None, misses: int) -> bool:
        for k, tone in enumerate(group):
            if prev is not None:
                misses += self.line._miss(prev, tone, i + k - 1)
            prev = tone
        return misses + self.line.cost[i + len(group) - 1][prev] <= self.line.budget
