"""Lyric lines from the pretrained language model, written under the fitting constraint.

The base model (with the lyrics LoRA when one is shipped) continues a short prompt — the theme
and the verse written so far (`prompts/lyrics.toml`) — one line at a time.  Every token it may
emit keeps the line completable (`tokens_en`, `tokens_zh`): syllables on the notes, stress on
the strong beats, the rhyme; Mandarin character count, tones and rhyme.  Several candidates are
sampled as one batch from a seeded generator (tokens the verse already used are drawn less
often) and ordered by the model's own mean log-probability plus a bonus per theme word; the
fitter in `write` still has the last word.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import en, zh
from ...finetune.lm.lyrics_data import lyric_prompt, prompt_lines
from .drafters import _strengths
from .themes import theme_hints

NAME = "pretrained LM"


@dataclass
class LyricsLM:
    """The loaded language model and its token lexicons (built on first use per language, ~5 s
    for English, and kept as a pickle in `cache` so later commands start faster)."""

    lean: Any  # finetune.lm.lean.LeanLM
    label: str = NAME
    cache: Path | None = None  # the converted base's folder (outside the repo)
    _lexicons: dict = field(default_factory=dict, repr=False)

    @property
    def tokenizer(self) -> Any:
        return self.lean.tokenizer

    def newline(self) -> int:
        return self.tokenizer.encode("\n", add_special_tokens=False)[-1]

    def warm(self, langs: tuple[str, ...] = ("en", "zh")) -> None:
        """Build (and keep in the cache) what a first lyric would: lexicons and their output rows."""
        for lang in langs:
            self.lean.head(self.lexicon(lang).rows | {self.newline()})

    def lexicon(self, lang: str) -> Any:
        if lang not in self._lexicons:
            from . import tokens_en, tokens_zh

            module = tokens_en if lang == "en" else tokens_zh
            build = (lambda: tokens_en.EnglishTokens(self.tokenizer)) if lang == "en" else \
                (lambda: tokens_zh.MandarinTokens(self.tokenizer))
            self._lexicons[lang] = self._cached(lang, module, build)
        return self._lexicons[lang]

    def _cached(self, lang: str, module: Any, build: Any) -> Any:
        """A lexicon from the pickle in `cache` when it was built by the same code and tokenizer."""
        if self.cache is None:
            return build()
        import hashlib
        import pickle

        digest = hashlib.sha256()
        for source in (module.__file__, en.__file__, zh.__file__, __file__, Path(__file__).with_name("unsung_words.txt")):
            digest.update(Path(source).read_bytes())
        digest.update(str(len(self.tokenizer)).encode())
        path = Path(self.cache) / f"lexicon-{lang}-{digest.hexdigest()[:16]}.pickle"
        try:
            return pickle.loads(path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            pass
        lexicon = build()
        try:
            for stale in Path(self.cache).glob(f"lexicon-{lang}-*.pickle"):
                stale.unlink()  # built by older code: never read again
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(pickle.dumps(lexicon, protocol=pickle.HIGHEST_PROTOCOL))
            tmp.replace(path)
        except OSError:
            pass  # a read-only cache only costs the next command the build time
        return lexicon


@dataclass
class PretrainedDrafter:
    """Lines from the pretrained LM (see the module docstring)."""

    lm: LyricsLM
    candidates: int = 8
    temperature: float = 0.8
    top_k: int = 40
    zh_agreement: float = 0.85  # tone-melody agreement the Mandarin constraint asks for when it can
    reads_theme: bool = True
    repeat_penalty: float = 1.5  # nats off a token the verse has already used (lines should not echo)
    theme_bonus: float = 0.3  # nats per theme word when ranking candidates
    tone_bonus: float = 2.0  # nats for a Mandarin line whose tones all follow the melody

    def _content(self, token: int, lang: str) -> bool:
        """Whether repeating a token would make lines echo (not 'the', 'I', 'and')."""
        text = self.lm.tokenizer.convert_ids_to_tokens(token).lstrip("▁Ġ")
        if lang == "zh":
            return len(text) > 1 or text not in "我你他她的了是在不一"
        return len(text) > 2 and not en.is_function(text)

    @property
    def name(self) -> str:
        return self.lm.label

    def constraint(self, *, lang: str, stress_pattern: str, rhyme_with: str | None, steps: list[int]):
        """The token constraint of one phrase (`steps`: the melody's semitone steps, for the tones)."""
        end = self.lm.newline()
        if lang == "en":
            from .tokens_en import EnglishTokenLine

            return EnglishTokenLine(self.lm.lexicon("en"), _strengths(stress_pattern), end=end, rhyme_with=rhyme_with)
        from .tokens_zh import MandarinTokenLine

        target = zh.han_chars(rhyme_with)[-1:] if rhyme_with else []
        strict = MandarinTokenLine(self.lm.lexicon("zh"), steps, end=end, rhyme_with=target[0] if target else None,
                                   min_agreement=self.zh_agreement)
        if strict.possible:
            return strict
        return MandarinTokenLine(self.lm.lexicon("zh"), steps, end=end, rhyme_with=target[0] if target else None)

    def draft_line(self, *, theme: str, syllables: int, stress_pattern: str, rhyme_with: str | None,
                   lang: str, seed: int, contour: str = "", previous: str = "",
                   verse: tuple[str, ...] = ()) -> list[str]:
        if lang not in ("en", "zh"):
            raise ValueError(f"the pretrained LM drafts en or zh here, not {lang!r}")
        steps = [int(x) for x in contour.split()] if contour else [0] * (syllables - 1)
        line = self.constraint(lang=lang, stress_pattern=stress_pattern, rhyme_with=rhyme_with, steps=steps)
        if not line.possible:
            return []
        verse = verse or ((previous,) if previous else ())
        lean = self.lm.lean
        prompt = lean.encode(lyric_prompt(lang=lang, theme=theme, verse=verse))
        rows = self.lm.lexicon(lang).rows | {line.end}
        earlier = [lean.encode(text, bos=False)[-64:] for text in verse]  # as the prompt spells them: after a newline
        used = {t for ids in earlier for t in ids if t in rows and self._content(t, lang)}
        # nor the prompt's own lines ("Song about leaving home", the Mandarin example song)
        earlier += [lean.encode(text, bos=False)[-64:] for text in prompt_lines(lang=lang, theme=theme)]
        allowed = _no_copy(line, earlier, long_tokens=self.lm.lexicon(lang).words if lang == "zh" else frozenset())
        drafts = lean.sample(prompt, allowed=lambda k, toks: allowed(toks), rows=rows, end=line.end,
                             count=self.candidates, max_new=3 * syllables + 4, seed=seed,
                             temperature=self.temperature, top_k=self.top_k,
                             penalty=dict.fromkeys(used, self.repeat_penalty))
        hints = theme_hints(theme, lang)
        pitches = [sum(steps[:k]) for k in range(len(steps) + 1)]
        scored: dict[str, float] = {}
        for draft in drafts:
            if not draft.finished or not draft.tokens:
                continue
            text = self.lm.tokenizer.decode(list(draft.tokens), skip_special_tokens=True).strip()
            if lang == "en":
                text = text[:1].upper() + text[1:]
                on_theme = len(hints & {w.lower() for w in en.words_of(text)})
            else:
                on_theme = len(hints & set(text))
            score = draft.logprob / (len(draft.tokens) + 1) + self.theme_bonus * on_theme
            if lang == "zh":  # the tones as sung in context (pypinyin reads polyphones by their neighbours)
                score += self.tone_bonus * zh.tone_agreement(zh.tones(text), pitches)
            scored[text] = max(score, scored.get(text, float("-inf")))
        return sorted(scored, key=lambda t: -scored[t])


def _no_copy(line, earlier: list[list[int]], n: int = 3, long_tokens: frozenset[int] = frozenset()):
    """`line`'s allowed tokens minus those that would repeat a run of `n` tokens of an earlier line
    (and a line's opening pair), a token a third time in a line or twice when it is in
    `long_tokens` (a Chinese word: '别离别离别离'): a verse that copies itself reads as filler.  When every option
    would repeat, the constraint's own options stay, so no line is left without a way on."""
    grams = {tuple(ids[k:k + n]) for ids in earlier for k in range(len(ids) - n + 1)}
    openings = {tuple(ids[:2]) for ids in earlier if len(ids) >= 2}
    memo: dict[tuple[int, ...], frozenset[int]] = {}

    def allowed(tokens: tuple[int, ...]) -> frozenset[int]:
        if tokens not in memo:
            options = line(tokens)
            banned = {g[-1] for g in grams if len(tokens) >= n - 1 and g[:-1] == tokens[len(tokens) - n + 1:]}
            # 'far far' may be sung, 'far far far' is a stuck model; a Chinese word once per line
            banned |= {t for t, c in Counter(tokens).items() if c >= 2 or t in long_tokens}
            if len(tokens) == 1:
                banned |= {o[1] for o in openings if o[0] == tokens[0]}
            kept = options - banned if banned & options else options
            memo[tokens] = kept if kept else options
        return memo[tokens]

    return allowed
