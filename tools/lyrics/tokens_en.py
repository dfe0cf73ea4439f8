"""English lines in the pretrained model's own tokens: every token keeps the line completable.

The byte tries of `constraint` walk a character model; a pretrained model writes SentencePiece
tokens, so here each singable word is spelled in the model's tokens twice — as it starts a line
('Home', 'home') and inside one (' home') — and the spellings form two token tries whose nodes
carry the bitmask of the word classes (usual stress pattern, function word) below them.  The
per-line masks (`_fits`: stress on the beats, no function word on a downbeat, syllables adding
up, a rhyming or rhymable last word) are the ones the byte constraint uses, so the fitter's
rules hold for every draft.  'I' and its contractions are spelled with a capital.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from . import en
from .constraint import WEAK_ENDINGS, _fits, singable

# the contractions a lyric may use (CMUdict spells them all); not every "word's"
CONTRACTIONS = frozenset("""i'm i'll i've i'd you're you'll you've you'd he's he'll he'd she's she'll she'd it's it'll
we're we'll we've we'd they're they'll they've they'd that's there's here's what's where's who's let's
don't doesn't didn't can't won't isn't aren't wasn't weren't couldn't wouldn't shouldn't haven't hasn't
ain't o'er""".split())


@dataclass
class Trie:
    """Token-id trie: children, the class bitmask below each node, the word ending at a node."""

    children: list[dict[int, int]] = field(default_factory=lambda: [{}])
    masks: list[int] = field(default_factory=lambda: [0])
    words: list[str | None] = field(default_factory=lambda: [None])
    _memo: dict = field(default_factory=dict, repr=False)

    def add(self, tokens: Iterable[int], word: str, cls: int) -> None:
        node = 0
        self.masks[0] |= 1 << cls
        for token in tokens:
            nxt = self.children[node].get(token)
            if nxt is None:
                nxt = len(self.children)
                self.children[node][token] = nxt
                self.children.append({})
                self.masks.append(0)
                self.words.append(None)
            node = nxt
            self.masks[node] |= 1 << cls
        self.words[node] = word

    def step(self, node: int | None, token: int) -> int | None:
        return None if node is None else self.children[node].get(token)

    def options(self, node: int | None, mask: int) -> frozenset[int]:
        """Tokens after `node` that lead to a word of a class in `mask` (memoised: the root's
        tens of thousands of children are filtered once per mask, not once per step)."""
        if node is None or not mask:
            return frozenset()
        key = (node, mask)
        found = self._memo.get(key)
        if found is None:
            found = frozenset(t for t, child in self.children[node].items() if self.masks[child] & mask)
            self._memo[key] = found
        return found


# the prompt's labels: a line that says them is the model copying the header ("Song lyrics I left")
SECTION_WORDS = frozenset("verse chorus refrain intro outro lyrics title".split())
STOPS = (",", ".", "!", "?")  # a line may close with one before its newline, as sung lines are written
# "o" is left out: a base model uses it to fill a rhyme ("see you again o"); "oh" stays
SHORT_WORDS = frozenset("a i am an as at be by do go he if in is it me my no of oh on or so to up us we".split())


@cache
def unsung_words() -> frozenset[str]:
    """Crude words left out of the lexicons, English and Mandarin (`unsung_words.txt`)."""
    text = files("tunesmith.tools.lyrics").joinpath("unsung_words.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def lyric_word(word: str) -> bool:
    """A word a lyric may use: singable, and not one of CMUdict's letters and abbreviations ('u', 'st').

    >>> lyric_word("river"), lyric_word("u"), lyric_word("go"), lyric_word("xv")
    (True, False, True, False)
    """
    if len(word) <= 2 and word not in SHORT_WORDS or word in unsung_words():
        return False
    return singable(word)


def _strict_fits(pattern: str, function: bool, strengths: tuple[float, ...], start: int) -> bool:
    """The fitter's rule (`constraint._fits`) and, for a polysyllable, its primary stress on its
    strongest note (secondary stresses included: 'afternoon' is not sung AF-ter-noon).

    >>> _strict_fits("201", False, (1.0, 0.25, 0.5), 0), _strict_fits("201", False, (0.5, 0.25, 1.0), 0)
    (False, True)
    """
    if not _fits(pattern, function, strengths, start):
        return False
    if len(pattern) < 2 or "1" not in pattern:
        return True
    span = strengths[start:start + len(pattern)]
    return span[pattern.index("1")] >= max(span) - 1e-9


def _display(word: str) -> str:
    return "I" + word[1:] if word == "i" or word.startswith("i'") else word


def space_mark(tokenizer: Any) -> str:
    """How the tokenizer spells a leading space in its pieces: '▁' (SentencePiece, Gemma) or 'Ġ'
    (byte-level BPE, SmolLM2)."""
    ids = tokenizer.encode(" the", add_special_tokens=False)
    piece = tokenizer.convert_ids_to_tokens(ids[-1]) if ids else ""
    return piece[:1] if piece.endswith("the") and len(piece) == 4 else "▁"


class EnglishTokens:
    """The singable words of a tokenizer's vocabulary, spelled in its tokens (built once per model).

    Words: CMUdict words that are one token of the vocabulary, their common contractions, and
    any `extra` words (a theme's own words), each kept only when `singable`."""

    def __init__(self, tokenizer: Any, *, extra: Iterable[str] = (), max_tokens: int = 3) -> None:
        vocab = tokenizer.get_vocab()
        space = space_mark(tokenizer)
        single = {p[1:] for p in vocab if p.startswith(space) and p[1:].isalpha() and p[1:].islower()}
        words = {w for w in single if lyric_word(w)}
        words |= {w for w in CONTRACTIONS if singable(w)}
        words |= {w.lower() for w in extra if lyric_word(w.lower())}
        self.classes: list[tuple[str, bool]] = []
        index: dict[tuple[str, bool], int] = {}
        self.word_class: dict[str, int] = {}
        for word in sorted(words):
            key = (en.stress_patterns(word)[0], en.is_function(word))
            if key not in index:
                index[key] = len(self.classes)
                self.classes.append(key)
            self.word_class[word] = index[key]
        ordered = sorted(self.word_class)
        firsts = [_display(w)[:1].upper() + _display(w)[1:] for w in ordered]
        lowers = [_display(w) for w in ordered]
        inner = tokenizer([" " + w for w in lowers], add_special_tokens=False)["input_ids"]
        start_cap = tokenizer(firsts, add_special_tokens=False)["input_ids"]
        start_low = tokenizer(lowers, add_special_tokens=False)["input_ids"]
        self.spelling: dict[str, tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]] = {}
        unknown = tokenizer.unk_token_id
        pieces = {t: p.lstrip(space).lower() for p, t in vocab.items()}

        def usable(ids: list[int]) -> bool:
            """A spelling the model would mean: no unknown piece, and no multi-piece word whose first
            piece is a word itself ('I' + 'ced'): the model's wish for 'I' must not become 'Iced'
            (a contraction's clitic, "I" + "'" + "ll", is what the model means)."""
            if not ids or len(ids) > max_tokens or unknown in ids:
                return False
            return len(ids) == 1 or pieces.get(ids[0], "") not in words or pieces.get(ids[1], "").startswith("'")

        for word, a, b, c in zip(ordered, inner, start_cap, start_low):
            if usable(a):
                starts = tuple(dict.fromkeys(tuple(s) for s in (b, c) if usable(s)))
                self.spelling[word] = (tuple(a), starts)
        self.word_class = {w: c for w, c in self.word_class.items() if w in self.spelling}
        self.inner, self.start = Trie(), Trie()
        for word in SECTION_WORDS:
            self.spelling.pop(word, None)
            self.word_class.pop(word, None)
        for word, (inner_ids, start_ids) in self.spelling.items():
            self.inner.add(inner_ids, word, self.word_class[word])
            for ids in start_ids:
                self.start.add(ids, word, self.word_class[word])
        stops = [tokenizer.encode(mark, add_special_tokens=False) for mark in STOPS]
        self.stops = frozenset(ids[0] for ids in stops if len(ids) == 1 and ids[0] != unknown)
        self.rows = frozenset(t for ch in (*self.inner.children, *self.start.children) for t in ch) | self.stops
        self._rhymes = {w: en.rhyme_parts(w) for w in self.word_class}
        sizes = Counter(p for parts in self._rhymes.values() for p in parts)
        self.line_ends = frozenset(w for w, parts in self._rhymes.items()
                                   if w not in WEAK_ENDINGS and any(sizes[p] > 3 for p in parts))
        self.never_last = WEAK_ENDINGS | {"i"} | {w for w in CONTRACTIONS if not w.endswith("n't")}  # "…like you're"
        self._finals: dict[tuple, tuple[Trie, Trie]] = {}

    def syllables(self, word: str) -> int:
        return len(self.classes[self.word_class[word]][0])

    def finals(self, rhyme_with: str | None, banned: frozenset[str]) -> tuple[Trie, Trie]:
        """(inner, line-start) tries of the words a line may end on."""
        key = (rhyme_with, banned)
        if key not in self._finals:
            if rhyme_with:
                target = en.rhyme_parts(rhyme_with)
                pool = {w for w, parts in self._rhymes.items() if parts & target}
            else:
                pool = self.line_ends
            inner, start = Trie(), Trie()
            for word in pool - banned - self.never_last:
                inner_ids, start_ids = self.spelling[word]
                inner.add(inner_ids, word, self.word_class[word])
                for ids in start_ids:
                    start.add(ids, word, self.word_class[word])
            self._finals[key] = (inner, start)
            if len(self._finals) > 64:
                self._finals.pop(next(iter(self._finals)))
        return self._finals[key]


@dataclass(frozen=True, slots=True)
class _State:
    used: int  # syllables of the complete words
    words: tuple[str, ...]
    node: int | None  # in the word trie (start trie for the first word)
    final: int | None  # in the finals trie


class EnglishTokenLine:
    """`allowed(tokens)` for one phrase: the next token ids (plus `end` when the line may stop)."""

    def __init__(self, lexicon: EnglishTokens, strengths: tuple[float, ...], *, end: int,
                 rhyme_with: str | None = None, banned_last: Iterable[str] = ()) -> None:
        self.lex, self.strengths, self.end = lexicon, tuple(strengths), end
        n = len(self.strengths)
        banned = frozenset({w.lower() for w in banned_last} | ({rhyme_with.lower()} if rhyme_with else set()))
        self.final_inner, self.final_start = lexicon.finals(rhyme_with.lower() if rhyme_with else None, banned)
        self.final_mask = [0] * (n + 1)
        for cls, (pattern, function) in enumerate(lexicon.classes):
            start = n - len(pattern)
            if start >= 0 and _strict_fits(pattern, function, self.strengths, start):
                self.final_mask[start] |= 1 << cls
        ends = [n - s for s in range(n) if self.final_mask[s] & self.final_inner.masks[0]]
        shortest = min(ends) if ends else None
        self.possible = shortest is not None
        self.inner_mask = [0] * (n + 1)
        for cls, (pattern, function) in enumerate(lexicon.classes):
            for start in range(n):
                if (shortest is not None and n - start - len(pattern) >= shortest
                        and _strict_fits(pattern, function, self.strengths, start)):
                    self.inner_mask[start] |= 1 << cls
        self._states: dict[tuple[int, ...], _State | None] = {(): _State(0, (), 0, 0)}
        self._allowed: dict[tuple[int, ...], frozenset[int]] = {}

    def _state(self, tokens: tuple[int, ...]) -> _State | None:
        if tokens in self._states:
            return self._states[tokens]
        before = self._state(tokens[:-1])
        token = tokens[-1]
        state = None
        if before is not None:
            first = not before.words
            word_trie, final_trie = (self.lex.start, self.final_start) if first else (self.lex.inner, self.final_inner)
            node, final = word_trie.step(before.node, token), final_trie.step(before.final, token)
            if node is not None or final is not None:
                state = _State(before.used, before.words, node, final)
            else:  # the token starts the next word
                word = self._complete(before)
                if word is not None:
                    used = before.used + self.lex.syllables(word)
                    node, final = self.lex.inner.step(0, token), self.final_inner.step(0, token)
                    if node is not None or final is not None:
                        state = _State(used, (*before.words, word), node, final)
        self._states[tokens] = state
        return state

    def _complete(self, state: _State) -> str | None:
        """The word `state` has just finished as an inner word (None when it has not)."""
        trie = self.lex.start if not state.words else self.lex.inner
        word = trie.words[state.node] if state.node is not None else None
        if word is None or not (1 << self.lex.word_class[word]) & self.inner_mask[state.used]:
            return None
        if word in state.words and not en.is_function(word):
            return None  # a content word once per line
        return word

    def __call__(self, tokens: tuple[int, ...]) -> frozenset[int]:
        if tokens in self._allowed:
            return self._allowed[tokens]
        if tokens and tokens[-1] in self.lex.stops:
            return frozenset({self.end})
        state = self._state(tokens)
        out: set[int] = set()
        parts: list[frozenset[int]] = []
        if state is not None and state.used < len(self.strengths):
            first = not state.words
            word_trie, final_trie = (self.lex.start, self.final_start) if first else (self.lex.inner, self.final_inner)
            parts.append(word_trie.options(state.node, self.inner_mask[state.used]))
            parts.append(final_trie.options(state.final, self.final_mask[state.used]))
            word = self._complete(state) if tokens else None
            if word is not None:
                used = state.used + self.lex.syllables(word)
                if used < len(self.strengths):
                    parts.append(self._starts(used))
            last = final_trie.words[state.final] if state.final is not None else None
            if last is not None and (1 << self.lex.word_class[last]) & self.final_mask[state.used] \
                    and not (last in state.words and not en.is_function(last)):
                out.add(self.end)
                out |= self.lex.stops
        parts = [p for p in parts if p]
        if not out and len(parts) == 1:
            result = parts[0]  # the memoised set itself, so that callers' caches keyed on it hit
        else:
            result = frozenset(out.union(*parts))
        self._allowed[tokens] = result
        return result

    def _starts(self, used: int) -> frozenset[int]:
        """Tokens that start a word at syllable `used` (one set per position)."""
        key = ("starts", used)
        if key not in self._allowed:
            self._allowed[key] = (self.lex.inner.options(0, self.inner_mask[used])
                                  | self.final_inner.options(0, self.final_mask[used]))
        return self._allowed[key]
