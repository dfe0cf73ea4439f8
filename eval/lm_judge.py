"""A judge language model for lyrics: how much a line reads like language, and whether it is on its theme.

The judge must not be the model that writes the lyrics, or it would grade its own habits.  The
English judge is SmolLM2-135M (`finetune/lm/bases.toml`, Apache-2.0, English only), which the
project never generates with.  SmolLM2 reads Chinese only weakly (it separates real from
shuffled poem lines by 0.34 nats per token against Gemma's 0.86: `separation` in
`eval_lyrics_sense` measures it each run), so the Mandarin judge is the Gemma 3 270M base — the
generator's own base, not independent: its Mandarin figures flatter the pretrained drafter, and
the JSON says so (SmolLM2's Mandarin figure is reported beside it).

A line's score is the mean log-probability per token of the line (and its end of line) after a
short neutral context.  `sense` puts that on a scale between real lines with their words (en)
or characters (zh) shuffled within each line (0) and the same real lines in order (1):

    sense = (score(lines) - score(shuffled real)) / (score(real) - score(shuffled real))

Real English lines: the English songs with lyrics in the music21 corpus (those `eval_lyrics`
uses as references), split into lines at punctuation and capitals.  Real Mandarin lines: the
Tang and Song poems of Debian's fortunes-zh and, a third of them, its modern writers' lines.
The primary Mandarin judge is now `zh_judge` (a character 4-gram model of text no drafter
uses); Gemma's self-judged figure stays beside it, labelled.  Theme relevance: the share of a lyric's lines
the judge finds likelier after "A song about {theme}:" than after the same prompt with another
theme of the evaluation's list (pairwise, so chance is 0.5).
"""

from __future__ import annotations

import random
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTEXT = {"en": "Song lyrics:\n", "zh": "歌词：\n"}
THEME_PROMPT = {"en": "A song about {theme}:\n", "zh": "一首关于{theme}的歌：\n"}
JUDGES = {"en": "smollm2-135m", "zh": "zh-char-4gram"}
INDEPENDENT = {"smollm2-135m": True, "gemma3-270m": False,  # gemma3-270m is the generator's base
               "zh-char-4gram": True}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")

Scorer = Callable[[Sequence[str], str], list[float]]  # (lines, context) -> mean log-prob per token


def clean(line: str, lang: str) -> str:
    """What the judge reads: words with apostrophes (en) or Han characters (zh), no punctuation,
    so real lines (punctuated) and drafted ones (not) are compared on their words only.

    >>> clean("Lift ev'ry voice and sing,", "en"), clean("床前明月光，", "zh")
    ("Lift ev'ry voice and sing", '床前明月光')
    """
    if lang == "zh":
        return "".join(_HAN.findall(line))
    return " ".join(_WORD.findall(line.replace("’", "'")))


def shuffle_line(line: str, lang: str, rng: random.Random) -> str:
    """The line with its words (en) or characters (zh) in a random order.  English capitals:
    the line's first word loses the capital it had for being first (not "I") and the new first
    word gets one, so the shuffle changes word order and nothing else the judge could notice.

    >>> shuffle_line("I dream of Jeannie", "en", random.Random(0))
    'Of I dream Jeannie'
    >>> shuffle_line("Happy as the daisies", "en", random.Random(1))
    'Daisies happy the as'
    """
    text = clean(line, lang)
    units = list(text) if lang == "zh" else text.split()
    if not units:
        return ""
    if lang == "en" and not (units[0] == "I" or units[0].startswith("I'")):
        units[0] = units[0][:1].lower() + units[0][1:]
    if len(set(units)) > 1:
        original = units[:]
        for _ in range(8):  # a shuffle that leaves the line as it was is drawn again
            rng.shuffle(units)
            if units != original:
                break
    if lang == "zh":
        return "".join(units)
    return " ".join([units[0][:1].upper() + units[0][1:], *units[1:]])


@dataclass(frozen=True, slots=True)
class Anchors:
    """The judge's scores of the real lines (1 on the sense scale) and of them shuffled (0)."""

    real: float
    shuffled: float
    lines: int

    @property
    def gap(self) -> float:
        return self.real - self.shuffled

    def sense(self, score: float) -> float:
        """`score` (mean log-prob per token) on the 0 (shuffled) .. 1 (real) scale."""
        if self.gap <= 0:
            raise ValueError(f"the judge does not separate real from shuffled lines (gap {self.gap:.3f})")
        return (score - self.shuffled) / self.gap


def anchors(score: Scorer, real_lines: Sequence[str], *, lang: str, seed: int = 0, shuffles: int = 3) -> Anchors:
    """Mean judge score of the real lines and of `shuffles` seeded shuffles of each."""
    rng = random.Random(seed)
    lines = [clean(line, lang) for line in real_lines]
    lines = [line for line in lines if line]
    mixed = [shuffle_line(line, lang, rng) for _ in range(shuffles) for line in lines]
    context = CONTEXT[lang]
    return Anchors(real=statistics.fmean(score(lines, context)), shuffled=statistics.fmean(score(mixed, context)),
                   lines=len(lines))


def line_scores(score: Scorer, lines: Sequence[str], *, lang: str) -> list[float]:
    """The judge's score of each line after the neutral context."""
    return score([clean(line, lang) for line in lines], CONTEXT[lang])


def theme_wins(score: Scorer, lines: Sequence[str], *, lang: str, theme: str,
               themes: Sequence[str]) -> tuple[int, int, int]:
    """(pairwise wins, pairwise comparisons, lines whose own theme is the likeliest of all):
    a line wins against another theme when the judge scores it higher after its own theme."""
    texts = [clean(line, lang) for line in lines]
    own = score(texts, THEME_PROMPT[lang].format(theme=theme))
    others = [score(texts, THEME_PROMPT[lang].format(theme=other)) for other in themes if other != theme]
    wins = sum(o > alt[k] for alt in others for k, o in enumerate(own))
    top = sum(all(o > alt[k] for alt in others) for k, o in enumerate(own))
    return wins, len(own) * len(others), top


class Judge:
    """A HF causal LM that scores lines (batched, padded on the right, one thread)."""

    def __init__(self, model: Any, tokenizer: Any, *, name: str, batch: int = 16) -> None:
        self.model, self.tokenizer, self.name, self.batch = model.eval(), tokenizer, name, batch

    @property
    def independent(self) -> bool:
        return INDEPENDENT.get(self.name, True)

    def __call__(self, lines: Sequence[str], context: str) -> list[float]:
        """Mean log-prob per token of each line (and its newline) after `context`.  The context's
        cache is computed once; the output layer runs only on the lines' own positions."""
        import copy

        import torch
        from transformers import DynamicCache

        bos = self.tokenizer.bos_token_id
        head = ([bos] if bos is not None else []) + self.tokenizer.encode(context, add_special_tokens=False)
        end = self.tokenizer.encode("\n", add_special_tokens=False)
        rows = [self.tokenizer.encode(line, add_special_tokens=False) + end for line in lines]
        body, out_layer = self.model.get_decoder(), self.model.get_output_embeddings()
        softcap = getattr(self.model.config, "final_logit_softcapping", None)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        with torch.inference_mode():
            prefix = DynamicCache(config=self.model.config)
            last = body(input_ids=torch.tensor([head]), cache=prefix, use_cache=True).last_hidden_state[:, -1:]
        scores: dict[int, float] = {}
        order = sorted(range(len(rows)), key=lambda k: len(rows[k]))  # similar lengths share a batch
        for start in range(0, len(order), self.batch):
            chunk = order[start:start + self.batch]
            width = max(len(rows[k]) for k in chunk)
            ids = torch.full((len(chunk), width), pad, dtype=torch.long)
            mask = torch.zeros((len(chunk), len(head) + width), dtype=torch.long)
            mask[:, :len(head)] = 1
            for b, k in enumerate(chunk):
                ids[b, :len(rows[k])] = torch.tensor(rows[k])
                mask[b, len(head):len(head) + len(rows[k])] = 1
            cache = copy.deepcopy(prefix)
            cache.batch_repeat_interleave(len(chunk))
            with torch.inference_mode():
                hidden = body(input_ids=ids, attention_mask=mask, cache=cache, use_cache=True).last_hidden_state
                hidden = torch.cat([last.expand(len(chunk), -1, -1), hidden[:, :-1]], dim=1)  # predicts ids
                keep = mask[:, len(head):].bool()
                logits = out_layer(hidden[keep]).float()
                if softcap:
                    logits = torch.tanh(logits / softcap) * softcap
                picked = logits.gather(1, ids[keep].unsqueeze(1)).squeeze(1) - torch.logsumexp(logits, dim=-1)
            offset = 0
            for b, k in enumerate(chunk):
                n = len(rows[k])
                scores[k] = float(picked[offset:offset + n].mean())
                offset += n
        return [scores[k] for k in range(len(rows))]


def load_judge(lang: str, cache: Path | None = None) -> Judge:
    """The judge of `lang` (see the module docstring), fp32, from the converted cache."""
    from ..finetune.lm.base import get_base, load_base

    name = JUDGES[lang]
    if name == "zh-char-4gram":
        from .zh_judge import load_zh_judge

        return load_zh_judge()  # type: ignore[return-value]
    model, tokenizer = load_base(get_base(name), Path(cache or "~/.cache/tunesmith").expanduser())
    return Judge(model, tokenizer, name=name)


def english_song_lines(max_words: int = 10) -> list[str]:
    """Lines of the English songs with lyrics in the music21 corpus (first verse; the Hawaiian
    song left out): the sung words split after punctuation, before a capital once a
    line has four words, and at `max_words`."""
    from music21 import corpus

    from ..tokenization.m21 import stream_to_melody
    from .eval_lyrics import ENGLISH_SONGS

    lines: list[str] = []
    for name in ENGLISH_SONGS:
        if "aloha" in name:
            continue
        words, text = [], ""
        for note in stream_to_melody(corpus.parse(name)).notes:
            if note.lyric is None:
                continue
            text += note.lyric.text
            if note.lyric.syllabic in ("single", "end"):
                words.append(text.strip())
                text = ""
        lines.extend(split_words(words, max_words=max_words))
    return list(dict.fromkeys(lines))  # a refrain counts once


def split_words(words: Sequence[str], *, max_words: int = 10) -> list[str]:
    """Sung words into lines (see `english_song_lines`).

    >>> split_words("I dream of Jeannie with the light brown hair Borne like a vapor,".split())
    ['I dream of Jeannie with the light brown hair', 'Borne like a vapor,']
    """
    lines, line = [], []
    for word in words:
        if not word:
            continue
        capital = word[:1].isupper()
        if line and ((capital and len(line) >= 4) or len(line) >= max_words):
            lines.append(" ".join(line))
            line = []
        line.append(word)
        if word[-1] in ",;.?!:":
            if len(line) >= 3:
                lines.append(" ".join(line))
                line = []
    if len(line) >= 3:
        lines.append(" ".join(line))
    return lines


def chinese_reference_lines(count: int = 120, seed: int = 0) -> list[str]:
    """The Mandarin anchors: `count` Tang and Song poem lines and `count // 2` lines of modern
    writers (fortunes-zh), so that real lines are not only classical ones."""
    from .zh_judge import modern_lines

    modern = modern_lines()
    return chinese_poem_lines(count, seed) + random.Random(seed).sample(modern, min(count // 2, len(modern)))


def chinese_poem_lines(count: int = 120, seed: int = 0) -> list[str]:
    """`count` lines of Tang and Song poems (fortunes-zh), cut at punctuation, 4-12 characters."""
    from .. finetune.text.corpus import chinese_poems

    pool = []
    for poem in chinese_poems():
        for line in poem["lines"]:
            pool.extend(part for part in re.split(r"[^\u3400-\u4dbf\u4e00-\u9fff]+", line) if 4 <= len(part) <= 12)
    pool = sorted(set(pool))
    if not pool:
        raise FileNotFoundError("no Chinese poems: apt-get install fortunes-zh")
    return random.Random(seed).sample(pool, min(count, len(pool)))
