"""Training examples for the lyrics LoRA: the drafter's own prompt, then one line of verse.

The drafter (`tools/lyrics/pretrained.py`) asks the base model to continue
`prompts/lyrics.toml`'s prompt — the theme and the lines written so far — with one line ended by
a newline.  The adapter learns exactly that: an example is that prompt (formatted here from the same
template, since finetune may not import tools) followed by a passage of 1-4 consecutive lines
of one poem, each a target whose verse is the 0-3 lines before it; the loss covers only the
lines and their newlines.  (The prompt text of line k is the prompt of line k-1 plus line k-1,
and the tokenizer splits it the same either way, so one sequence holds up to four examples.)

Lines come from the verse corpus (`tunesmith text build` -> data/text/poems_{en,zh}.jsonl).
English lines are kept when every word is in CMUdict (the drafter can spell only those), the
line has 4-12 syllables and no archaic pronoun or verb; internal punctuation is dropped (the
drafter emits words and at most one closing mark).  A poem's theme is its 1-2 most salient
content words (English; the corpus titles are play or file names) or its title (Chinese).
Poems are split into train and held-out by a hash of their source, title and first line, so
no held-out poem is ever trained on.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from ..text.corpus import read_poems

HELD_OUT_PERCENT = 3
MAX_CONTEXT = 3
ARCHAIC = frozenset("""thou thee thy thine hath doth dost art shalt wilt ere hast canst wherefore whence thither hither
whither nay ay 'tis 'twas methinks prithee ye yea hence thyself mayst mightst didst wouldst couldst shouldst
knowest seest sayst beseech anon forsooth perchance oft betwixt whilst""".split())
STOPWORDS = frozenset("""a an the this that these those my your his her its our their mine yours hers ours theirs
i me we us you he him she it they them who whom what which whose of in on at by to for from with into onto upon
up down out off over under through as than like and or but nor so yet if when while though till until since
because be am is are was were been being do does did have has had shall will would should can could may might must
not no o oh there here where how then too all some such more most much many any each every own same other
very just now one ever never still even only let make made come came go went say said see seen know tell
give take upon shall well good great thus yet again away why lord sir like""".split()) | ARCHAIC
DETERMINERS = frozenset("the a an my your his her our their this that these those thy".split())
WEAK_END = frozenset("""a an the my your his her our their of in on at by to for from with into and or but nor
if as than that which whose is are was be""".split())
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_END = re.compile(r"[,.!?;:]+\s*$")


@dataclass(frozen=True, slots=True)
class Example:
    """A run of consecutive lines of one poem: the first `context` lines are verse only, each
    later line is a target after the drafter's prompt with the lines before it as the verse.
    A passage of 4 target lines thus holds the examples with 0, 1, 2 and 3 earlier lines at the
    cost of one sequence (the prompt's text is the same)."""

    lang: str
    theme: str
    lines: tuple[str, ...]
    context: int = 0
    poem: str = ""  # the poem's source, for counting

    @property
    def prompt(self) -> str:
        """The text before the first target line."""
        return self.prompt_for(self.context)

    def prompt_for(self, k: int) -> str:
        """The drafter's prompt for line `k` (the lines before it are the verse)."""
        return lyric_prompt(lang=self.lang, theme=self.theme, verse=self.lines[:k])

    @property
    def targets(self) -> tuple[str, ...]:
        return self.lines[self.context:]


@cache
def prompt_table() -> dict[str, dict[str, str]]:
    return tomllib.loads(files("tunesmith.prompts").joinpath("lyrics.toml").read_text(encoding="utf-8"))


def example_lines(lang: str) -> tuple[str, ...]:
    """The worked example a language's prompt shows before the song (none for English): lines the
    drafter must not copy."""
    return tuple(prompt_table()[lang].get("example", ()))


def lyric_prompt(*, lang: str, theme: str, verse: tuple[str, ...]) -> str:
    """The text the model continues, for drafting (`tools.lyrics.pretrained`) and training alike.

    >>> print(lyric_prompt(lang="en", theme="leaving home", verse=("I walked away",)))
    Song lyrics
    Title: Leaving Home
    A song about leaving home.
    <BLANKLINE>
    Verse 1:
    I walked away
    <BLANKLINE>
    """
    row = prompt_table()[lang]
    theme = " ".join(theme.split()) or ("a song" if lang == "en" else "歌")
    lines = "".join(f"{line}\n" for line in verse)
    return row["prompt"].format(theme=theme, title=theme.title(), verse=lines, example="\n".join(example_lines(lang)),
                                example_title=row.get("example_title", ""))


def prompt_lines(*, lang: str, theme: str) -> list[str]:
    """The prompt's own lines (labels, title, the worked example), which a drafted line must not
    copy: a base model likes to sing its prompt back ("Song about leaving home").

    >>> prompt_lines(lang="en", theme="leaving home")
    ['Song lyrics', 'Title: Leaving Home', 'A song about leaving home.', 'Verse 1:']
    """
    return [line for line in lyric_prompt(lang=lang, theme=theme, verse=()).split("\n") if line.strip()]


def held_out(poem: dict) -> bool:
    """Whether a poem belongs to the held-out split (stable: a hash of source, title, first line)."""
    first = poem["lines"][0] if poem["lines"] else ""
    key = f"{poem['source']}\x00{poem['title']}\x00{first}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:4], "big") % 100 < HELD_OUT_PERCENT


@cache
def _cmu() -> dict[str, int]:
    """Word -> syllables of its first CMUdict reading (pronouncing's dictionary)."""
    import pronouncing

    pronouncing.init_cmu()
    counts: dict[str, int] = {}
    for word, phones in pronouncing.pronunciations:
        if word not in counts:
            counts[word] = sum(ch.isdigit() for ch in phones)
    return counts


def syllables(word: str) -> int | None:
    """Syllables of an English word from CMUdict, None when it is not there."""
    return _cmu().get(word.lower())


def clean_en(line: str) -> str | None:
    """A verse line as the drafter could write it, or None when it does not fit (see module doc)."""
    line = line.replace("’", "'").strip()
    close = _END.search(line)
    mark = close.group(0).strip()[-1:] if close else ""
    mark = {";": ",", ":": ","}.get(mark, mark)
    words = _WORD.findall(line)
    if not words or re.search(r"\d", line):
        return None
    out, total = [], 0
    for k, word in enumerate(words):
        low = word.lower()
        if low in ARCHAIC:
            return None
        count = syllables(low)
        if count is None:
            return None
        if k and word[:1].isupper() and not (low == "i" or low.startswith("i'")):
            return None  # a name inside the line: the drafter spells only lower-case words
        if k == len(words) - 1 and low in WEAK_END:
            return None  # a line cut mid-sentence ("Here is warrant from")
        total += count
        out.append("I" + low[1:] if low == "i" or low.startswith("i'") else (low if k else word))
    if not 4 <= total <= 12:
        return None
    text = " ".join(out)
    return text[:1].upper() + text[1:] + mark


def clean_zh(line: str) -> str | None:
    """A Chinese half-line of 4-8 Han characters, else None."""
    text = "".join(_HAN.findall(line))
    return text if 4 <= len(text) <= 8 else None


def english_theme(poem: dict, doc_freq: Counter, docs: int, nouns: frozenset[str] = frozenset()) -> str:
    """The poem's 1-2 most salient nouns (frequency in it times rarity in the corpus); a noun is
    a word the corpus often writes right after a determiner ('the', 'my', ...), in lower case."""
    counts = Counter(w.lower() for line in poem["lines"] for w in _WORD.findall(line)
                     if len(w) >= 4 and w.lower() in nouns and syllables(w) is not None)
    if not counts:
        return ""
    scored = sorted(counts, key=lambda w: (-counts[w] * math.log(docs / (1 + doc_freq[w])), w))
    return " and ".join(scored[:2]) if len(scored) > 1 and counts[scored[1]] > 1 else scored[0]


def chinese_theme(poem: dict) -> str:
    title = re.sub(r"[（(].*?[）)]", "", poem.get("title") or "")
    title = "".join(_HAN.findall(title))
    if title:
        return title
    counts = Counter(ch for line in poem["lines"] for ch in _HAN.findall(line))
    return "".join(ch for ch, _ in counts.most_common(2))


def poem_examples(poem: dict, *, theme: str, rng: random.Random) -> list[Example]:
    """The poem's runs of fitting lines cut into passages of 1-4 lines (the first cut at a random
    length, so a line's place in its passage, and the verse before it, varies)."""
    clean = clean_en if poem["lang"] == "en" else clean_zh
    runs: list[list[str]] = [[]]
    for line in (clean(raw) for raw in poem["lines"]):
        if line is None:
            runs.append([])
        else:
            runs[-1].append(line)
    examples = []
    size = MAX_CONTEXT + 1
    for run in runs:
        k = rng.randint(1, size) if len(run) > size else len(run)
        cuts = [0, *range(k, len(run), size), len(run)] if run else []
        for a, b in zip(cuts, cuts[1:]):
            examples.append(Example(lang=poem["lang"], theme=theme, lines=tuple(run[a:b]), poem=poem["source"]))
    return examples


def build_examples(text_dir: str | Path, *, seed: int = 0) -> dict[str, dict[str, list[Example]]]:
    """{"train"|"held_out": {"en"|"zh": [Example, ...]}} from the verse corpus, shuffled by `seed`."""
    rng = random.Random(seed)
    out: dict[str, dict[str, list[Example]]] = {"train": {}, "held_out": {}}
    for lang in ("en", "zh"):
        poems = read_poems(Path(text_dir) / f"poems_{lang}.jsonl")
        doc_freq: Counter = Counter()
        nouns: frozenset[str] = frozenset()
        if lang == "en":
            seen: Counter = Counter()
            after: Counter = Counter()
            for poem in poems:
                doc_freq.update({w.lower() for line in poem["lines"] for w in _WORD.findall(line)})
                for line in poem["lines"]:
                    words = _WORD.findall(line)
                    seen.update(w for w in words if w.islower())
                    after.update(b for a, b in zip(words, words[1:]) if a.lower() in DETERMINERS and b.islower())
            nouns = frozenset(w for w, n in seen.items() if n >= 3 and after[w] >= 0.3 * n and w not in STOPWORDS
                              and "'" not in w)
        split: dict[str, list[Example]] = {"train": [], "held_out": []}
        for poem in poems:
            theme = english_theme(poem, doc_freq, len(poems), nouns) if lang == "en" else chinese_theme(poem)
            part = "held_out" if held_out(poem) else "train"
            split[part] += poem_examples(poem, theme=theme, rng=rng)
        for part, examples in split.items():
            rng.shuffle(examples)
            out[part][lang] = examples
    return out


def mix(examples: dict[str, list[Example]], *, zh_share: float, seed: int) -> list[Example]:
    """English and Chinese examples interleaved so that about `zh_share` of them are Chinese
    (the shorter list is cycled through again when it runs out)."""
    en, zh = examples.get("en", []), examples.get("zh", [])
    if not en or not zh:
        return list(en or zh)
    rng = random.Random(seed)
    total = int(len(en) / (1 - zh_share)) if zh_share < 1 else len(zh)
    out, i, j = [], 0, 0
    for _ in range(total):
        if rng.random() < zh_share:
            out.append(zh[j % len(zh)])
            j += 1
        else:
            if i >= len(en):
                break
            out.append(en[i])
            i += 1
    return out
