"""Evaluate lyric fitting: slot match, stress on strong beats, function words off downbeats,
rhyme-scheme adherence and Mandarin tone–melody agreement — on generated lyrics and, for
reference, on the real songs with lyrics in the music21 corpus.

    python -m tunesmith.eval.eval_lyrics --songs 30 --out eval/results/lyrics.json [--drafter rules]

The drafter is the shipped checkpoint's pretrained language model when it is installed (`--drafter
rules`: the non-neural drafters); each report names it and gives seconds and drafts per line.

References: the English songs in the music21 corpus (Foster, Berlin, Johnson, Beach and
Liliuokalani, first verse) and the German Bach chorale soprano lines of the corpus records.
No Mandarin song with lyrics ships offline (the Essen Han tunes have none), so the Mandarin
figure is compared with a control instead: random poetry characters on the same melodies.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path
from typing import Any

from ..tokenization.music import Melody, Song
from ..tokenization.records import record_to_song
from ..tools.lyrics import en
from ..tools.lyrics import zh
from ..tools.errors import ToolError
from ..tools.lyrics.write import write_lyrics
from ..tools.lyrics.themes import theme_hints
from ..tools.lyrics.slots import lyric_slots

ENGLISH_SONGS = ("leadSheet/fosterBrownHair.mxl", "leadSheet/berlinAlexandersRagtime.mxl",
                 "johnson_j_r/lift_every_voice.mxl", "beach/prayer_of_a_tired_child.musicxml",
                 "liliuokalani/aloha_oe.mxl")
GERMAN_FUNCTION = frozenset("der die das den dem des ein eine einen einem einer und oder in im an am auf zu zum "
                            "zur mit von vom für aus bei nach über durch ich du er sie es wir ihr mich dich sich "
                            "uns euch mein dein sein ist sind war hat so wie daß dass nicht".split())
EN_STYLES = ("german-folk", "scottish-air", "irish-air", "lorraine-folk", "bach-chorale", "american-fife")


def words_on_notes(melody: Melody) -> list[tuple[str, tuple[float, ...]]]:
    """Each sung word with the metric strength of each of its syllables (melisma notes skipped)."""
    by_note = {slot.notes[0]: slot.strength for slot in lyric_slots(melody)}
    words, text, strengths = [], "", []
    for index, note in enumerate(melody.notes):
        if note.lyric is None or index not in by_note:
            continue
        text += note.lyric.text
        strengths.append(by_note[index])
        if note.lyric.syllabic in ("single", "end"):
            words.append((text, tuple(strengths)))
            text, strengths = "", []
    return words


def stress_measures(melody: Melody, *, function_words: frozenset[str] = en.FUNCTION_WORDS,
                    english: bool = True) -> dict[str, Any]:
    """SBA (polysyllabic dictionary words), function words on downbeats, content monosyllables
    on downbeats, melisma share, syllables on downbeats; counts included so songs can be pooled."""
    words = words_on_notes(melody)
    sba = [0, 0]
    function, content = [0, 0], [0, 0]
    for raw, strengths in words:
        word = "".join(c for c in raw if c.isalpha() or c == "'").strip("'").lower()
        if not word:
            continue
        if len(strengths) == 1:
            bucket = function if word in function_words else content
            bucket[0] += strengths[0] >= 1.0
            bucket[1] += 1
        elif english:
            fitting = [p for p in en.stress_patterns(word) if len(p) == len(strengths)]
            if fitting:
                sba[0] += any(en.stress_fits(p, strengths) for p in fitting)
                sba[1] += 1
    slots = lyric_slots(melody)
    return {"sba": sba, "function_downbeat": function, "content_downbeat": content,
            "melisma": [len(melody.notes) - len(slots), len(melody.notes)],
            "syllables_downbeat": [sum(s.downbeat for s in slots), len(slots)]}


def pooled(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """Sum the [hits, total] counts over songs and divide."""
    out: dict[str, float | None] = {}
    for key in ("sba", "function_downbeat", "content_downbeat", "melisma", "syllables_downbeat"):
        hits, total = sum(r[key][0] for r in rows), sum(r[key][1] for r in rows)
        out[key] = round(hits / total, 3) if total else None
        out[key + "_n"] = total
    return out


def english_references() -> dict[str, Any]:
    from music21 import corpus

    from ..tokenization.m21 import stream_to_melody

    out = {}
    for name in ENGLISH_SONGS:
        melody = stream_to_melody(corpus.parse(name))
        out[name] = pooled([stress_measures(melody)])
    return out


def chorale_reference(paths: list[Path]) -> dict[str, Any]:
    rows = []
    for path in paths:
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if "bach-chorale" in record["styles"] and record.get("lyrics"):
                rows.append(stress_measures(record_to_song(record).melody, function_words=GERMAN_FUNCTION,
                                            english=False))
    return pooled(rows) | {"chorales": len(rows)}


def generated(records: list[dict], *, lang: str, seed: int, rhyme: str, theme: str, drafter=None) -> dict[str, Any]:
    """Write lyrics for each melody and measure them (the fitter's own verdict is not trusted:
    every line is re-measured from the song)."""
    rows, slot_ok, slot_n, rhyme_ok, rhyme_n, agree, control, failures, seconds = [], 0, 0, 0, 0, [], [], [], []
    drafters, drafts, examples = set(), 0, []
    rng = random.Random(seed)
    control_chars = _control_chars() if lang == "zh" else []
    hints, on_theme = theme_hints(theme, lang), 0
    for k, record in enumerate(records):
        song = record_to_song(record)
        try:
            result = write_lyrics(song, theme=theme, lang=lang, rhyme=rhyme, seed=seed + k, drafter=drafter)
        except ToolError as err:
            failures.append(f"{record['id']}: {err}")
            continue
        seconds.append(result.seconds)
        drafters.add(result.drafter)
        drafts += result.drafts
        if len(examples) < 3:
            examples.append({"id": record["id"], "lines": [line.text for line in result.lines]})
        rows.append(stress_measures(result.song.melody))
        heads: dict[str, str] = {}
        for phrase, line in zip(result.phrases, result.lines):
            notes = result.song.melody.notes
            heads_sung = all(notes[s.notes[0]].lyric is not None for s in phrase.slots)
            held_free = all(notes[i].lyric is None for s in phrase.slots for i in s.notes[1:])
            slot_ok += heads_sung and held_free and len(line.syllables) == phrase.syllables
            slot_n += 1
            on_theme += bool(hints & set(line.text.lower().split() if lang == "en" else line.text))
            last = line.text.split()[-1] if lang == "en" else line.text
            if line.group in heads:
                rhyme_n += 1
                rhyme_ok += (en.rhymes(last, heads[line.group]) if lang == "en" else zh.zh_rhymes(last, heads[line.group]))
            elif line.group:
                heads[line.group] = last
            if lang == "zh":
                pitches = [s.pitch for s in phrase.slots]
                agree.append(zh.tone_agreement(zh.tones(line.text), pitches))
                chars = [rng.choice(control_chars) for _ in pitches]
                control.append(zh.tone_agreement(zh.tones("".join(chars)), pitches))
    out: dict[str, Any] = {"songs": len(records), "failed": len(failures), "failures": failures[:5],
                           "slot_match": round(slot_ok / slot_n, 3) if slot_n else None, "lines": slot_n,
                           "rhyme_kept": round(rhyme_ok / rhyme_n, 3) if rhyme_n else None, "rhyme_pairs": rhyme_n,
                           "seconds_per_song": round(statistics.mean(seconds), 2) if seconds else None,
                           "seconds_per_line": round(sum(seconds) / slot_n, 3) if slot_n else None,
                           "drafts_per_line": round(drafts / slot_n, 2) if slot_n else None,
                           "on_theme": round(on_theme / slot_n, 3) if slot_n else None,  # a theme word in the line
                           "drafter": sorted(drafters), "examples": examples}
    if lang == "en":
        out |= pooled(rows)
    else:
        out |= {"tone_agreement": round(statistics.mean(agree), 3) if agree else None,
                "control_random_chars": round(statistics.mean(control), 3) if control else None}
    return out


def _control_chars() -> list[str]:
    """Characters drawn as often as they occur in the drafter's poetry (or phrase list)."""
    from ..tools.lyrics.drafter_zh import phrase_segments, poetry_segments

    return list("".join(poetry_segments() or phrase_segments()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tunesmith.eval.eval_lyrics", description=__doc__.split("\n")[0])
    parser.add_argument("--songs", type=int, default=30, help="melodies per language from the test split")
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rhyme", default="AABB")
    parser.add_argument("--skip-references", action="store_true")
    parser.add_argument("--drafter", choices=("auto", "rules"), default="auto",
                        help="auto: the pretrained language model when installed; rules: the non-neural drafters")
    parser.add_argument("--checkpoint", type=Path, default=Path("checkpoints/default"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    test = [json.loads(line) for line in (args.corpus / "test.jsonl").read_text().splitlines()]
    english = [r for r in test if r["styles"][0] in EN_STYLES]
    random.Random(args.seed).shuffle(english)
    han = [r for r in test if r["styles"][0] == "chinese-han"][:args.songs]
    drafter = None
    if args.drafter == "auto":
        from ..tools.actions.models import Models

        models = Models(args.checkpoint, lm_cache=Path("~/.cache/tunesmith").expanduser())
        if models.lm_missing() is None:
            from ..tools.lyrics.pretrained import PretrainedDrafter

            drafter = PretrainedDrafter(models.lyrics_lm())
    report: dict[str, Any] = {
        "generated_en": generated(english[:args.songs], lang="en", seed=args.seed, rhyme=args.rhyme,
                                  theme="leaving home", drafter=drafter),
        "generated_zh": generated(han, lang="zh", seed=args.seed, rhyme=args.rhyme, theme="离家", drafter=drafter),
    }
    if not args.skip_references:
        report["reference_english_songs"] = english_references()
        report["reference_chorales_de"] = chorale_reference(sorted(args.corpus.glob("*.jsonl")))
    report["seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(report, ensure_ascii=False, indent=1)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
