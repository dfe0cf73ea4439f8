"""An independent Mandarin judge: a character n-gram model (interpolated Kneser-Ney) of text no drafter uses.

The pretrained drafter writes with the Gemma 3 270M base, so Gemma cannot fairly judge its
Mandarin; SmolLM2 reads almost no Chinese.  This judge is a plain count model, trained on:

* Debian fortunes-zh's `chinese` file (proverbs, 论语, 菜根谭, 增广贤文, classical quotes, and
  modern prose: 鲁迅, 钱钟书, 老舍, translated essays, the Debian reference manual) — about 300k
  Han characters.  Neither drafter generates from it: the rules drafter's bigrams come from
  `tang300`/`song100`, the shipped pretrained drafter is the base without a LoRA (the optional
  `lm-lora` adapter was trained on its classical entries, so it may be slightly favoured).
* pypinyin's phrase list (about 47k modern words and idioms, one "line" each), so that modern
  words hold together too.  The rules drafter reads it only when fortunes-zh is missing.

The anchors (real lines = 1, shuffled = 0) are Tang and Song poem lines (`tang300`, `song100`)
and, a third of them, lines of the modern writers in the `chinese` file (鲁迅, 钱钟书, 老舍, 巴金,
冰心, 余光中, 朱自清); the judge never trains on those files or entries, and a training segment
that shares five characters in a row with any of their lines is dropped, so the anchors are
held out.  Bias, stated: most of the training text is classical or formal, so a modern
colloquial lyric line ("我要回家了") gets less credit than its fluency deserves (the 16
hand-written modern lyric lines of eval/data/zh_modern_lyric_probe.txt score 0.37 on the
real-lines scale: `modern_lyric_probe_sense` in eval/results/lyrics_sense.json), and technical
prose in the manual lends some weight to words like 使用/文件.  Word order matters: a shuffled
line breaks the character n-grams.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FORTUNES = Path("/usr/share/games/fortunes")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_BOX = re.compile(r"[\u2500-\u257f]")
START, END = "\x02", "\x03"
NAME = "zh-char-4gram"


class KneserNey:
    """Interpolated Kneser-Ney over characters, order `order`, one discount per order
    (estimated as n1 / (n1 + 2 n2) from the counts of counts)."""

    def __init__(self, lines: Iterable[str], *, order: int = 4) -> None:
        self.order = order
        top: Counter[str] = Counter()
        for line in lines:
            text = START * (order - 1) + line + END
            for k in range(order - 1, len(text)):
                top[text[k - order + 1:k + 1]] += 1
        counts: list[Counter[str]] = [Counter() for _ in range(order + 1)]
        counts[order] = top
        for n in range(order, 1, -1):  # continuation counts: distinct characters before each shorter n-gram
            for gram in counts[n]:
                counts[n - 1][gram[1:]] += 1
        self.vocab = len({g for g in counts[1]}) + 1  # + unknown
        self.discount = [0.0] * (order + 1)
        for n in range(1, order + 1):
            cc = Counter(v for v in counts[n].values() if v <= 2)
            n1, n2 = cc[1], cc[2]
            self.discount[n] = n1 / (n1 + 2 * n2) if n1 and n2 else 0.75
        # per context: total count and number of distinct followers
        self.total: list[dict[str, int]] = [dict() for _ in range(order + 1)]
        self.types: list[dict[str, int]] = [dict() for _ in range(order + 1)]
        for n in range(1, order + 1):
            total, types = defaultdict(int), defaultdict(int)
            for gram, c in counts[n].items():
                total[gram[:-1]] += c
                types[gram[:-1]] += 1
            self.total[n], self.types[n] = dict(total), dict(types)
        self.counts = [dict(c) for c in counts]

    def prob(self, context: str, char: str) -> float:
        """P(char | the last order-1 characters of context)."""
        p = 1.0 / self.vocab
        for n in range(1, self.order + 1):
            history = context[len(context) - n + 1:] if n > 1 else ""
            if n > 1 and len(history) < n - 1:
                break
            total = self.total[n].get(history)
            if not total:
                continue  # an unseen history keeps the lower order's estimate
            d = self.discount[n]
            seen = self.counts[n].get(history + char, 0)
            p = max(seen - d, 0.0) / total + d * self.types[n][history] / total * p
        return p

    def line_logprob(self, line: str) -> tuple[float, int]:
        """(summed natural log-probability of the line and its end, positions scored)."""
        text = START * (self.order - 1) + line + END
        logp = sum(math.log(self.prob(text[:k], text[k])) for k in range(self.order - 1, len(text)))
        return logp, len(text) - self.order + 1


@dataclass(frozen=True, slots=True)
class Corpus:
    lines: tuple[str, ...]
    sources: tuple[tuple[str, int], ...]  # (source, Han characters)


def poem_lines(folder: Path = FORTUNES) -> list[str]:
    """Han runs of the Tang and Song poems (the anchors' files), titles and authors dropped."""
    out: list[str] = []
    for name in ("tang300", "song100"):
        path = folder / name
        if path.is_file():
            for line in _ANSI.sub("", path.read_text(encoding="utf-8", errors="replace")).splitlines():
                if not line.startswith(("《", "作者")):
                    out.extend(_HAN_RUN.findall(line))
    return out


# modern writers in fortunes-zh's `chinese` file: their lines are the modern half of the anchors
MODERN = ("鲁迅", "钱钟书", "老舍", "巴金", "冰心", "余光中", "朱自清")


def _entries(folder: Path) -> list[list[str]]:
    path = folder / "chinese"
    if not path.is_file():
        return []
    text = _ANSI.sub("", path.read_text(encoding="utf-8", errors="replace"))
    return [entry.splitlines() for entry in re.split(r"\n%\n", text)]


def _modern(entry: list[str]) -> bool:
    credit = [ln for ln in entry if ln.strip().startswith(("--", "——"))]
    return bool(credit) and any(name in credit[-1] for name in MODERN)


def _runs(entry: list[str]) -> list[str]:
    return [run for ln in entry if not ln.strip().startswith(("--", "——")) and not _BOX.search(ln)
            for run in _HAN_RUN.findall(ln) if len(run) >= 2]


def fortunes_chinese(folder: Path = FORTUNES) -> list[str]:
    """Han runs of fortunes-zh's `chinese` file, attribution lines, table rows and the modern
    writers' entries (held out as anchors) dropped."""
    return [run for entry in _entries(folder) if not _modern(entry) for run in _runs(entry)]


def modern_lines(folder: Path = FORTUNES) -> list[str]:
    """Han runs of 5-12 characters by the modern writers of fortunes-zh (鲁迅, 钱钟书, ...)."""
    runs = [run for entry in _entries(folder) if _modern(entry) for run in _runs(entry)]
    return sorted({run for run in runs if 5 <= len(run) <= 12})


def phrases() -> list[str]:
    from pypinyin.phrases_dict import phrases_dict

    return sorted(p for p in phrases_dict if len(p) >= 2 and _HAN_RUN.fullmatch(p))


def held_out(lines: Iterable[str], anchors: Iterable[str], *, n: int = 5) -> list[str]:
    """`lines` without those that share `n` characters in a row with an anchor line (or are one)."""
    anchors = list(anchors)
    whole = set(anchors)
    grams = {a[k:k + n] for a in anchors for k in range(len(a) - n + 1)}
    return [x for x in lines if x not in whole and not any(x[k:k + n] in grams for k in range(len(x) - n + 1))]


def training_corpus(folder: Path = FORTUNES) -> Corpus:
    held = poem_lines(folder) + modern_lines(folder)
    prose = held_out(fortunes_chinese(folder), held)
    words = held_out(phrases(), held)
    if not prose:
        from ..prompts.errors import TunesmithError

        raise TunesmithError("the Mandarin judge needs fortunes-zh: apt-get install fortunes-zh")
    return Corpus(tuple(prose + words), (("fortunes-zh chinese", sum(map(len, prose))),
                                         ("pypinyin phrases", sum(map(len, words)))))


class NgramJudge:
    """The `lm_judge.Scorer` interface: mean log-prob per character (and the line's end).
    The context is ignored (a count model has no prompt)."""

    name = NAME
    independent = True

    def __init__(self, model: KneserNey, sources: Sequence[tuple[str, int]] = ()) -> None:
        self.model, self.sources = model, tuple(sources)

    def __call__(self, lines: Sequence[str], context: str = "") -> list[float]:
        out = []
        for line in lines:
            logp, n = self.model.line_logprob(line)
            out.append(logp / n)
        return out


@cache
def load_zh_judge(order: int = 4) -> NgramJudge:
    """The judge, trained on first use (~10 s on one core)."""
    corpus = training_corpus()
    return NgramJudge(KneserNey(corpus.lines, order=order), corpus.sources)


def cooccurrence(lines: Iterable[str], *, window: int = 8) -> tuple[Counter, Counter, int]:
    """(character counts, pair counts within `window` characters, positions) for `relatedness`."""
    single, pairs, total = Counter(), Counter(), 0
    for line in lines:
        total += len(line)
        single.update(line)
        for k, a in enumerate(line):
            for b in set(line[k + 1:k + 1 + window]) - {a}:
                pairs[a + b] += 1
                pairs[b + a] += 1
    return single, pairs, total


class ThemeJudge:
    """How much a line is tied to a theme, from the same corpus: the best positive PMI between a
    character of the line and a character of the theme (a theme character in the line counts
    as the strongest tie).  Pairwise against another theme, so chance is 0.5."""

    def __init__(self, lines: Iterable[str], *, min_count: int = 3) -> None:
        self.single, self.pairs, self.total = cooccurrence(lines)
        self.min_count = min_count

    def pmi(self, a: str, b: str) -> float:
        joint = self.pairs.get(a + b, 0)
        if joint < self.min_count:
            return 0.0
        return max(0.0, math.log(joint * self.total / (self.single[a] * self.single[b])))

    def relatedness(self, line: str, theme: str) -> float:
        chars = set("".join(_HAN_RUN.findall(theme))) - set("的之")
        if chars & set(line):
            return 100.0
        return max((self.pmi(a, b) for a in set(line) for b in chars), default=0.0)

    def wins(self, lines: Sequence[str], *, theme: str, rival: str) -> float:
        """Share of lines likelier tied to `theme` than to `rival` (ties count half)."""
        if not lines:
            return 0.0
        score = 0.0
        for line in lines:
            own, other = self.relatedness(line, theme), self.relatedness(line, rival)
            score += 1.0 if own > other else 0.5 if own == other else 0.0
        return score / len(lines)


@cache
def load_theme_judge() -> ThemeJudge:
    return ThemeJudge(training_corpus().lines)
