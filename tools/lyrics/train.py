"""Training data for the lyrics adapter: verse lines with the prompt a drafter gives.

Each pair is (prompt, line): `lyrics_prompt(lang, count, theme words, rhyme word)` → one line
of a public-domain poem (`finetune.text.corpus`).  The theme words are content words of the
poem itself (often one from the line), so the model learns to use the words it is given; the
count is the line's syllables (CMUdict's usual reading) or characters; half of the lines get a
rhyme word — a line of the same poem that rhymes with it when there is one, else any rhyming
word of the list — so the model learns to end on a rhyme.  Lines with words the drafter may not
write (archaic forms, unknown words) are left out so the model's habits match its constraint.
Prompts are drawn afresh every epoch.
"""

from __future__ import annotations

import random
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import en
from . import zh
from .constraint import lyrics_prompt, normalise_en, save_lexicon, singable
from .constraint_zh import HanChars
from .lexicon import themes
from .prompt_file import reads_previous_line, write_prompt_file  # noqa: F401 - reads_previous_line: eval reads it here

ZH_FUNCTION = frozenset("不之其而以于也乎者所为与一无有此何是我你他君自如若则亦又已未")
EN_RANGE, ZH_RANGE = (3, 12), (2, 12)
EN_PER_EPOCH = 36_000


@dataclass(frozen=True, slots=True)
class Line:
    lang: str
    text: str  # what the model writes
    count: int  # syllables (en) or characters (zh)
    theme: tuple[str, ...]  # content words of the poem
    own: tuple[str, ...]  # content words of the line
    partners: tuple[str, ...]  # last words of rhyming lines of the same poem
    poetry: bool  # a poem rather than a play speech
    valid: bool
    previous: str = ""  # the kept line before it in the same poem ("" for the first)


PIECES_SEED = 11  # the epoch of pairs whose text makes the BPE pieces


def _held_out(poem: dict, share: float = 0.02) -> bool:
    key = f"{poem['source']}|{poem['title']}|{poem['lines'][0]}".encode("utf-8")
    return zlib.crc32(key) % 1000 < share * 1000


def english_lines(poems: Sequence[dict], *, min_count: int = 2) -> tuple[list[Line], list[str]]:
    """The usable lines and the word list (words used `min_count`+ times, plus the theme table)."""
    counts: Counter = Counter(w for p in poems for ln in p["lines"] for w in normalise_en(ln).split())
    table = {w for t in themes() for w in (*t.nouns, *t.adjectives,
                                           *(v for pair in (*t.verbs_intransitive, *t.verbs_transitive) for v in pair))}
    words = {w for w, n in counts.items() if (n >= min_count and (len(w) > 1 or w in ("a", "i")))} | table
    words = {w for w in words if singable(w)}
    syllables = {w: len(en.stress_patterns(w)[0]) for w in words}
    out = []
    for poem in poems:
        kept = []
        for raw in poem["lines"]:
            text = normalise_en(raw)
            tokens = text.split()
            if tokens and all(w in words for w in tokens):
                count = sum(syllables[w] for w in tokens)
                if EN_RANGE[0] <= count <= EN_RANGE[1]:
                    kept.append((text, count, tuple(w for w in tokens if len(w) > 2 and not en.is_function(w))))
        theme = tuple(dict.fromkeys(w for _, _, own in kept for w in own))
        ends = [t.split()[-1] for t, _, _ in kept]
        for k, (text, count, own) in enumerate(kept):
            last = text.split()[-1]
            partners = tuple(e for e in ends if e != last and en.rhymes(e, last))
            out.append(Line("en", text, count, theme, own, partners, not poem["source"].endswith(("_gut.txt",))
                            or "sonnets" in poem["source"], _held_out(poem), kept[k - 1][0] if k else ""))
    return out, sorted(words)


def chinese_lines(poems: Sequence[dict], chars: HanChars) -> list[Line]:
    out = []
    for poem in poems:
        kept = [ln for ln in poem["lines"] if ZH_RANGE[0] <= len(ln) <= ZH_RANGE[1] and all(c in chars.tone for c in ln)]
        pool = poem["title"] + "".join(kept)
        theme = tuple(dict.fromkeys(c for c in pool if c in chars.tone and c not in ZH_FUNCTION))
        for k, line in enumerate(kept):
            partners = tuple(o[-1] for o in kept if o[-1] != line[-1] and chars.rhyme[o[-1]]
                             and chars.rhyme[o[-1]] == chars.rhyme[line[-1]])
            out.append(Line("zh", line, len(line), theme, tuple(c for c in line if c not in ZH_FUNCTION),
                            partners, True, _held_out(poem), kept[k - 1] if k else ""))
    return out


def _pair(line: Line, rng: random.Random, rhymes: dict[str, list[str]], previous_share: float = 0.0
          ) -> tuple[str, str]:
    k = rng.choice((1, 1, 2, 2, 3))
    chosen: list[str] = []
    if line.own and rng.random() < 0.6:
        chosen.append(rng.choice(line.own))
    others = [w for w in line.theme if w not in chosen]
    chosen += rng.sample(others, min(len(others), k - len(chosen)))
    rng.shuffle(chosen)
    rhyme = None
    last = line.text.split()[-1] if line.lang == "en" else line.text[-1]
    if rng.random() < 0.5:
        if line.partners and rng.random() < 0.7:
            rhyme = rng.choice(line.partners)
        else:
            pool = [w for w in rhymes.get(last, ()) if w != last]
            rhyme = rng.choice(pool) if pool else None
    previous = line.previous if previous_share and rng.random() < previous_share else ""
    return lyrics_prompt(line.lang, line.count, chosen, rhyme, previous), line.text


def rhyme_index(lines: Sequence[Line], words: Sequence[str], chars: HanChars) -> dict[str, list[str]]:
    """For each line-final word or character, the list words/characters that rhyme with it."""
    by_part: dict[str, list[str]] = defaultdict(list)
    for word in words:
        for part in en.rhyme_parts(word):
            by_part[part].append(word)
    by_class: dict[str, list[str]] = defaultdict(list)
    for c, r in chars.rhyme.items():
        if r:
            by_class[r].append(c)
    out: dict[str, list[str]] = {}
    for line in lines:
        if line.lang == "en":
            last = line.text.split()[-1]
            if last not in out:
                out[last] = sorted({w for p in en.rhyme_parts(last) for w in by_part[p]})
        else:
            out.setdefault(line.text[-1], by_class.get(chars.rhyme[line.text[-1]], []))
    return out


def pair_source(lines: Sequence[Line], rhymes: dict[str, list[str]], *, en_per_epoch: int = EN_PER_EPOCH,
                previous_share: float = 0.0) -> Callable[[random.Random | None], list[tuple[str, str]]]:
    """What `train_text_adapter` takes: rng -> this epoch's pairs (None -> a fixed view).

    Every Chinese line and every English poem line each epoch; play speeches fill the English
    share up to `en_per_epoch`; `previous_share` of the prompts carry the line before."""
    chinese = [ln for ln in lines if ln.lang == "zh"]
    poetry = [ln for ln in lines if ln.lang == "en" and ln.poetry]
    plays = [ln for ln in lines if ln.lang == "en" and not ln.poetry]

    def epoch(rng: random.Random | None) -> list[tuple[str, str]]:
        rng = rng or random.Random(0)
        chosen = chinese + poetry + rng.sample(plays, max(0, min(len(plays), en_per_epoch - len(poetry))))
        pairs = [_pair(ln, rng, rhymes, previous_share) for ln in chosen]
        rng.shuffle(pairs)
        return pairs

    return epoch


SHORT_WORDS = frozenset("a i am an as at be by do go he if in is it me my no of oh on or so to up us we".split())


def drafting_lexicon(en_poems: Sequence[dict], zh_poems: Sequence[dict], *, min_en: int = 8, min_zh: int = 5,
                     min_pair: int = 2) -> dict:
    """What the drafter may write: words used lowercase `min_en`+ times in the verse (proper names,
    mostly capitalised, and odd short words are left out), characters used `min_zh`+ times, the
    theme table, and which word follows which (`min_pair`+ times; '' = starts a line).
    Rare words are where a small model's drafts turn odd, so the list is kept to common ones."""
    lower: Counter = Counter()
    upper: Counter = Counter()
    for poem in en_poems:
        for line in poem["lines"]:
            for k, word in enumerate(en.words_of(line.replace("’", "'"))):
                if word[0].islower():
                    lower[word] += 1
                elif k > 0 and word != "I" and not word.startswith("I'"):
                    upper[word.lower()] += 1
    table = themes()
    words = {w for w, n in lower.items() if n >= min_en and n >= upper[w] and (len(w) > 2 or w in SHORT_WORDS)} | {
        w for t in table for w in (*t.nouns, *t.adjectives,
                                   *(v for pair in (*t.verbs_intransitive, *t.verbs_transitive) for v in pair))}
    words = {w for w in words if singable(w)}
    pairs: Counter = Counter()
    for poem in en_poems:
        for line in poem["lines"]:
            tokens = ["", *normalise_en(line).split()]
            pairs.update((a, b) for a, b in zip(tokens, tokens[1:]) if (a in words or a == "") and b in words)
    en_follows: dict[str, set[str]] = defaultdict(set)
    for (a, b), n in pairs.items():
        if n >= min_pair:
            en_follows[a].add(b)
    counts = Counter(c for p in zh_poems for ln in p["lines"] for c in ln)
    chars = {c for c, n in counts.items() if n >= min_zh} | {c for t in table for c in t.han}
    zh_follows: dict[str, set[str]] = defaultdict(set)
    for poem in zh_poems:
        for line in poem["lines"]:
            for a, b in zip(" " + line, line):
                if b in chars and (a in chars or a == " "):
                    zh_follows[a.strip()].add(b)
    return {"english": sorted(words), "chinese": sorted(chars), "english_follows": en_follows,
            "chinese_follows": zh_follows}


def write_lexicon(text_dir: str | Path, folder: str | Path, *, min_en: int = 8, min_zh: int = 5) -> Path:
    """Write the drafter's lexicon into an adapter folder from the verse corpus."""
    from ...finetune.text.corpus import read_poems

    text = Path(text_dir)
    lexicon = drafting_lexicon(read_poems(text / "poems_en.jsonl"), read_poems(text / "poems_zh.jsonl"),
                               min_en=min_en, min_zh=min_zh, min_pair=2 if min_en > 1 else 1)
    return save_lexicon(folder, **lexicon)


def lyrics_data(text_dir: str | Path) -> tuple[list[Line], list[str], HanChars]:
    """Usable lines (train and held-out), the English word list and the Chinese characters."""
    from ...finetune.text.corpus import read_poems

    folder = Path(text_dir)
    en_poems, zh_poems = read_poems(folder / "poems_en.jsonl"), read_poems(folder / "poems_zh.jsonl")
    english, words = english_lines(en_poems)
    chars = HanChars.of({c for p in zh_poems for ln in p["lines"] for c in ln} | {c for t in themes() for c in t.han})
    return english + chinese_lines(zh_poems, chars), words, chars


def train_lyrics_adapter(text_dir: str | Path, base_dir: str | Path, *, run_dir: str | Path, minutes: float = 25.0,
                         rank: int = 8, lr: float = 3e-3, batch_tokens: int = 2048, threads: int = 1,
                         en_per_epoch: int = EN_PER_EPOCH, lexicon_min: tuple[int, int] = (8, 5),
                         show_progress: bool = True, pieces: bool = True, resume: bool = False,
                         previous_share: float = 0.0) -> dict:
    """Train the `lyrics` adapter on the verse corpus and save it (with its word list) beside the base.

    With `pieces` the adapter reads and writes BPE pieces learned from the corpus (see
    finetune.text.pieces): a word costs one or two steps instead of one per byte, so the small
    model spends its capacity on which word comes next rather than on spelling.  With
    `previous_share` > 0 that share of the prompts carries the line before, so that a drafted line
    could follow on from the last one (30 more minutes of it did not lower the held-out loss of
    lines given the line before: eval/eval_lyrics_lm.py; the shipped adapter is trained without).
    `resume` continues the run in `run_dir` (its piece table too)."""
    from ...finetune.lora import AdapterConfig, adapter_dir
    from ...finetune.text.adapter import TEXT_TARGETS, train_text_adapter
    from ...finetune.text.pieces import PIECES_FILE, PieceTable
    from ...finetune.train import TrainConfig
    from ...tokenization.codec import load_codec

    lines, words, chars = lyrics_data(text_dir)
    train = [ln for ln in lines if not ln.valid]
    valid = [ln for ln in lines if ln.valid]
    rhymes = rhyme_index(lines, words, chars)
    config = TrainConfig(max_steps=1_000_000, time_budget_s=minutes * 60, batch_tokens=batch_tokens, lr=lr,
                         warmup_steps=50, eval_every=200, log_every=25, weight_decay=0.0, threads=threads,
                         save_every_s=300.0)
    table = None
    saved = adapter_dir(Path(run_dir) / "model", "lyrics")
    if pieces and resume and (saved / PIECES_FILE).is_file():  # a resumed run reads as it did
        table = PieceTable.load(saved)
    elif pieces:
        sample = pair_source(train, rhymes, en_per_epoch=en_per_epoch)(random.Random(PIECES_SEED))  # pieces as ever
        table = PieceTable.build(load_codec(base_dir), (text for pair in sample for text in pair), targets=True)
    state = train_text_adapter(base_dir, pair_source(train, rhymes, en_per_epoch=en_per_epoch,
                                                     previous_share=previous_share), name="lyrics",
                               task="lyrics", run_dir=run_dir,
                               valid_pairs=pair_source(valid, rhymes, en_per_epoch=len(valid),
                                                       previous_share=previous_share)(random.Random(7)),
                               config=config, adapter=AdapterConfig(r=rank, alpha=2 * rank, dropout=0.0, targets=TEXT_TARGETS),
                               show_progress=show_progress, max_tokens=160, pieces=table, resume=resume)
    write_prompt_file(adapter_dir(base_dir, "lyrics"), previous_line=previous_share > 0)
    write_lexicon(text_dir, adapter_dir(base_dir, "lyrics"), min_en=lexicon_min[0], min_zh=lexicon_min[1])
    state.update(lines_en=sum(ln.lang == "en" for ln in train), lines_zh=sum(ln.lang == "zh" for ln in train),
                 valid_lines=len(valid), words=len(words), chars=len(chars.tone))
    return state
