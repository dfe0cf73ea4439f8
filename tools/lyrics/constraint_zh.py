"""The Mandarin byte constraint of the lyrics model: one character per note, tones that follow the melody.

Exactly one known, non-neutral-tone character per note; the tones follow the melody's steps on
at least `min_agreement` of the pairs (a look-ahead over the four tones keeps that reachable, so
the decoder never reaches a dead end); the last character rhymes by 十三辙 class when asked;
a pair of characters seen together in the poems is preferred whenever one fits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from . import zh
from .constraint import END


@dataclass(frozen=True)
class HanChars:
    """The Mandarin character list: tone and rhyme class of each character, and which characters
    follow which in the verse ('' -> characters that start lines)."""

    tone: dict[str, int]
    rhyme: dict[str, str]
    follows: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, chars: Iterable[str], follows: dict[str, Iterable[str]] | None = None) -> HanChars:
        """Keep three-byte characters whose pypinyin reading has a full tone."""
        from pypinyin import Style, lazy_pinyin

        kept = sorted({c for c in chars if len(c.encode("utf-8")) == 3 and zh.han_chars(c)})
        readings = lazy_pinyin("".join(kept), style=Style.TONE3, neutral_tone_with_five=True)
        tone = {c: int(r[-1]) for c, r in zip(kept, readings) if r[-1:] in ("1", "2", "3", "4")}
        nxt = {c: frozenset(f) & tone.keys() for c, f in (follows or {}).items()}
        return cls(tone=tone, rhyme={c: zh.rhyme_class(c) for c in tone}, follows=nxt)


class MandarinLine:
    """`allowed(prefix)` for one Mandarin phrase: N characters, tones that follow the contour."""

    def __init__(self, chars: HanChars, steps: list[int], *, rhyme_with: str | None = None,
                 banned_last: Iterable[str] = (), min_agreement: float = zh.MIN_AGREEMENT, follow: bool = True):
        self.chars, self.steps, self.n, self.follow = chars, list(steps), len(steps) + 1, follow
        self.budget = int((1 - min_agreement) * (self.n - 1) + 1e-9)
        last = zh.han_chars(rhyme_with)[-1] if rhyme_with and zh.han_chars(rhyme_with) else None
        banned = set(banned_last) | ({last} if last else set())
        target = zh.rhyme_class(last) if last else None
        self.finals = {c for c, r in chars.rhyme.items() if r and c not in banned and (target is None or r == target)}
        # cost[i][t]: fewest disagreements from position i (tone t there) to the end
        tones = (1, 2, 3, 4)
        final_tones = {chars.tone[c] for c in self.finals}
        self.cost = [dict.fromkeys(tones, 0) for _ in range(self.n)]
        self.cost[-1] = {t: (0 if t in final_tones else 10 ** 6) for t in tones}
        for i in range(self.n - 2, -1, -1):
            self.cost[i] = {t: min(self._miss(t, u, i) + self.cost[i + 1][u] for u in tones) for t in tones}
        self._cache: dict[bytes, frozenset[int]] = {}
        self._candidates: dict[str, list[str]] = {}

    def _miss(self, a: int, b: int, i: int) -> int:
        return int(zh.pair_agrees(a, b, self.steps[i]) is False)

    @property
    def possible(self) -> bool:
        return bool(self.finals) and min(self.cost[0].values()) <= self.budget

    def candidates(self, text: str) -> list[str]:
        """Characters allowed at position len(text)."""
        if text not in self._candidates:
            self._candidates[text] = self._allowed_chars(text)
        return self._candidates[text]

    def _allowed_chars(self, text: str) -> list[str]:
        i = len(text)
        if i >= self.n:
            return []
        misses = sum(self._miss(self.chars.tone[a], self.chars.tone[b], k) for k, (a, b) in enumerate(zip(text, text[1:])))
        pool = self.finals if i == self.n - 1 else self.chars.tone
        prev = self.chars.tone[text[-1]] if text else None
        out = []
        for c in pool:
            t = self.chars.tone[c]
            if misses + (self._miss(prev, t, i - 1) if prev else 0) + self.cost[i][t] <= self.budget:
                out.append(c)
        after = self.chars.follows.get(text[-1] if text else "", frozenset()) if self.follow else frozenset()
        attested = [c for c in out if c in after]  # a pair seen in the poems, when one fits
        return attested or out

    def __call__(self, prefix: bytes) -> frozenset[int]:
        if prefix in self._cache:
            return self._cache[prefix]
        whole, partial = len(prefix) // 3 * 3, prefix[len(prefix) // 3 * 3:]
        text = prefix[:whole].decode("utf-8", "replace")
        if any(c not in self.chars.tone for c in text):
            result: frozenset[int] = frozenset()
        elif len(text) == self.n and not partial:
            result = frozenset({END})
        else:
            k = len(partial)
            result = frozenset(c.encode("utf-8")[k] for c in self.candidates(text)
                               if c.encode("utf-8")[:k] == partial)
        self._cache[prefix] = result
        return result
