"""The embedded model drafts lyric lines: the `lyrics` adapter writes under a fitting constraint.

The adapter (trained by `tools.lyrics.train` on public-domain verse; run time never imports that
module, only `tools.lyrics.prompt_file`) reads a short prompt —
language, syllable or character count, theme words, the word to rhyme with, the line before — and writes one
line in BPE pieces (bytes for an older adapter).  `lyrics_constraint` limits every byte of every
piece so the line is made of words from the adapter's word list that sit on the melody's beats,
add up to the phrase and end on the rhyme (English), or of characters whose tones follow the
melody and whose last one rhymes (Mandarin).  Several samples are drawn per line and ordered by
the model's own likelihood; the fitter in `tools.lyrics` still has the last word.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from . import en
from . import zh
from .constraint import LEXICON_FILE, EnglishLine, display_en, load_lexicon, lyrics_prompt
from .constraint_zh import MandarinLine
from .drafters import _strengths
from .lexicon import match_themes

ADAPTER = "lyrics"


def has_lyrics_adapter(runtime: Any) -> bool:
    """True when a loaded runtime carries the lyrics adapter and its word list."""
    if runtime is None or not runtime.has_adapter(ADAPTER):
        return False
    from ...finetune.lora import adapter_dir

    return (adapter_dir(runtime.directory, ADAPTER) / LEXICON_FILE).is_file()


def theme_words(theme: str, lang: str, rng: random.Random) -> list[str]:
    """The prompt's theme words: the person's own content words plus one of the matched theme's.

    >>> theme_words("leaving home", "en", random.Random(0))[:2]
    ['leaving', 'home']
    """
    table = match_themes(theme)
    if lang == "zh":
        own = list(dict.fromkeys(zh.han_chars(theme)))[:3]
        extra = sorted({c for t in table for c in t.han} - set(own))
    else:
        own = [w.lower() for w in en.words_of(theme) if not en.is_function(w)][:3]
        extra = sorted({w for t in table for w in t.nouns} - set(own))
    if extra and (len(own) < 3 or rng.random() < 0.5):
        own = own[:2] + [rng.choice(extra)]
    if not own and extra:
        own = rng.sample(extra, min(2, len(extra)))
    return own


def theme_hints(theme: str, lang: str) -> set[str]:
    """Words (en) or characters (zh) that show a line is on the theme: the theme's own and its table's.

    >>> sorted(theme_hints("离家", "zh")), "home" in theme_hints("leaving home", "en")
    (['家', '离'], True)
    """
    table = match_themes(theme)
    if lang == "zh":
        return set(zh.han_chars(theme)) | {c for t in table for c in t.han}
    own = {w.lower() for w in en.words_of(theme) if not en.is_function(w)}
    return own | {w for t in table for w in (*t.nouns, *t.adjectives)}


@dataclass
class ModelDrafter:
    """Lines from the embedded model's lyrics adapter (see the module docstring)."""

    runtime: Any
    candidates: int = 6
    temperature: float = 0.8
    top_k: int = 32
    name: str = "tunesmith lyrics adapter (embedded model, constrained)"
    reads_theme: bool = True  # any English theme words go into the prompt
    zh_agreement: float = 0.75  # tone–melody agreement the Mandarin constraint asks for when it can
    _lexicon: tuple = field(default=(), repr=False)
    _pieces: Any = field(default=None, repr=False)
    _previous: bool | None = field(default=None, repr=False)

    def reads_previous(self) -> bool:
        """Whether the adapter was trained with the line before in its prompt (prompt.json)."""
        if self._previous is None:
            from ...finetune.lora import adapter_dir
            from .prompt_file import reads_previous_line

            self._previous = reads_previous_line(adapter_dir(self.runtime.directory, ADAPTER))
        return self._previous

    def pieces(self) -> Any:
        """The adapter's BPE piece table (None for an adapter that reads and writes bytes)."""
        if self._pieces is None:
            from ...finetune.lora import adapter_dir
            from ...finetune.text.pieces import PIECES_FILE, PieceTable

            folder = adapter_dir(self.runtime.directory, ADAPTER)
            self._pieces = PieceTable.load(folder) if (folder / PIECES_FILE).is_file() else False
        return self._pieces or None

    def lexicon(self):
        if not self._lexicon:
            from ...finetune.lora import adapter_dir

            self._lexicon = load_lexicon(adapter_dir(self.runtime.directory, ADAPTER))
        return self._lexicon

    def constraint(self, *, lang: str, syllables: int, stress_pattern: str, rhyme_with: str | None,
                   contour: str = "") -> EnglishLine | MandarinLine:
        """The byte constraint of one line (its `possible` says whether any line can fit)."""
        words, chars = self.lexicon()
        if lang == "en":
            return EnglishLine(words, _strengths(stress_pattern), rhyme_with=rhyme_with)
        steps = [int(x) for x in contour.split()] if contour else [0] * (syllables - 1)
        strict = MandarinLine(chars, steps, rhyme_with=rhyme_with, min_agreement=self.zh_agreement)
        return strict if strict.possible else MandarinLine(chars, steps, rhyme_with=rhyme_with)

    def draft_line(self, *, theme: str, syllables: int, stress_pattern: str, rhyme_with: str | None,
                   lang: str, seed: int, contour: str = "",
                   previous: str = "", verse: tuple[str, ...] = ()) -> list[str]:
        from ...finetune.text.adapter import generate_text, score_text

        if lang not in ("en", "zh"):
            raise ValueError(f"the lyrics adapter writes en or zh, not {lang!r}")
        allowed = self.constraint(lang=lang, syllables=syllables, stress_pattern=stress_pattern,
                                  rhyme_with=rhyme_with, contour=contour)
        if not allowed.possible:
            return []
        rng = random.Random(seed)
        target = rhyme_with.lower() if lang == "en" and rhyme_with else (zh.han_chars(rhyme_with)[-1:] or [None])[0] \
            if rhyme_with else None
        texts: list[str] = []
        prompts: dict[str, str] = {}
        with self.runtime.session(ADAPTER) as active:
            for k in range(self.candidates):
                prompt = lyrics_prompt(lang, syllables, theme_words(theme, lang, rng), target,
                                       previous if self.reads_previous() else "")
                text = generate_text(active.model, active.codec, task="lyrics", prompt=prompt,
                                     allowed=allowed, max_new_tokens=4 * syllables + 80, temperature=self.temperature,
                                     top_k=self.top_k, seed=(seed + 7919 * k) % (1 << 62), pieces=self.pieces())
                if text and text not in prompts:
                    prompts[text] = prompt
                    texts.append(text)
            if len(texts) > 1:  # on theme, then most likely first: the fitter keeps the first of equally fitting lines
                hints = theme_hints(theme, lang)
                scores = {t: score_text(active.model, active.codec, task="lyrics", prompt=prompts[t], targets=[t],
                                        pieces=self.pieces())[0] / (len(t.encode("utf-8")) + 1) for t in texts}
                texts.sort(key=lambda t: (-len(hints & set(t.split() if lang == "en" else t)), -scores[t]))
        return [display_en(t) if lang == "en" else t for t in texts]
