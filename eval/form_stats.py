"""How real tunes repeat their own bars, per style: the measurements behind tools/melody/form.

    python -m tunesmith.eval.form_stats --bars 8 --out eval/results/form_stats.json

writes the report and, from its `templates` section, tools/melody/form_maps.json (package data).

For the opening `bars` bars of every held-out tune (the same windows eval_melody compares
generated melodies with) it records, per style: how often bar j is an exact copy of an earlier
bar (same pitches, onsets and durations), a transposed copy (a sequence), a copy with a changed
ending (same first half), or only shares the rhythm; the matrix P(bar j == bar i); the phrase
form in 2-bar units (e.g. "ABAC": units 1 and 3 equal); and the most common bar copy maps
("1 2 3 4 1 2 7 8": bars 5-6 copy bars 1-2), which are the form templates the melody tool uses.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from ..tokenization.music import slice_bars
from ..tokenization.music import Melody
from ..tokenization.records import record_to_song
from ..tokenization.styles import get_style
from ..tools.melody.form import FORM_BARS, FORM_MAPS_FILE, write_form_maps
from .bands import read_records
from .metrics import ngram_repeat_share

ROOT = Path(__file__).resolve().parents[1]
GRID = 12  # onsets and durations compared on a 1/12-quarter grid
MAPS_SOURCE = "eval/results/form_stats.json templates (train split)"


def bar_signature(melody: Melody, bar: int) -> tuple:
    """The notes starting in `bar` (1-based) as (onset in bar, pitch, duration clipped to the bar).

    A note held over from the previous bar adds a leading ("held",) so a bar that begins with a
    tie never equals one that begins with a rest.
    """
    start, end = (bar - 1) * melody.bar_length, bar * melody.bar_length
    sig = []
    if any(n.onset < start - 1e-9 < start + 1e-9 < n.end for n in melody.notes):
        sig.append(("held",))
    for n in melody.notes:
        if start - 1e-9 <= n.onset < end - 1e-9:
            sig.append((round((n.onset - start) * GRID), n.pitch, round((min(n.end, end) - n.onset) * GRID)))
    return tuple(sig)


def relation(a: tuple, b: tuple, *, half: int) -> str:
    """How bar signature b relates to a: exact, transposed, varied (same first half), rhythm, or none.

    >>> relation(((0, 60, 6), (6, 62, 6)), ((0, 60, 6), (6, 62, 6)), half=6)
    'exact'
    >>> relation(((0, 60, 6), (6, 62, 6)), ((0, 62, 6), (6, 64, 6)), half=6)
    'transposed'
    >>> relation(((0, 60, 6), (6, 62, 6)), ((0, 60, 6), (6, 67, 6)), half=6)
    'varied'
    """
    notes_a = [n for n in a if len(n) == 3]
    notes_b = [n for n in b if len(n) == 3]
    if not notes_a or not notes_b:
        return "none"
    if a == b:
        return "exact"
    rhythm_a = [(o, d) for o, _, d in notes_a]
    rhythm_b = [(o, d) for o, _, d in notes_b]
    if rhythm_a == rhythm_b:
        shifts = {pb - pa for (_, pa, _), (_, pb, _) in zip(notes_a, notes_b)}
        if len(shifts) == 1 and (a[0] == ("held",)) == (b[0] == ("held",)):
            return "transposed"
    head_a = [n for n in notes_a if n[0] < half]
    head_b = [n for n in notes_b if n[0] < half]
    if head_a and head_a == head_b:
        return "varied"
    return "rhythm" if rhythm_a == rhythm_b else "none"


def copy_map(signatures: list[tuple]) -> tuple[int, ...]:
    """For every bar, the earliest earlier bar it copies exactly, or itself (1-based).

    >>> a, b, c = ((0, 60, 12),), ((0, 62, 12),), ((0, 64, 12),)
    >>> copy_map([a, b, a, c])
    (1, 2, 1, 4)
    """
    out = []
    for j, sig in enumerate(signatures):
        source = next((i for i in range(j) if signatures[i] == sig and any(len(n) == 3 for n in sig)), j)
        out.append(source + 1)
    return tuple(out)


def unit_form(signatures: list[tuple], *, unit: int = 2) -> str:
    """Letters for runs of `unit` bars: equal runs share a letter ("ABAC").

    >>> unit_form([(1,), (2,), (3,), (4,), (1,), (2,), (5,), (6,)])
    'ABAC'
    """
    runs = [tuple(signatures[i:i + unit]) for i in range(0, len(signatures) - unit + 1, unit)]
    letters: dict[tuple, str] = {}
    form = []
    for run in runs:
        if run not in letters:
            letters[run] = chr(ord("A") + len(letters))
        form.append(letters[run])
    return "".join(form)


def windows(corpus: Path, *, bars: int, splits: tuple[str, ...]) -> dict[str, list[Melody]]:
    """Opening windows of `bars` bars with at least 8 notes, per top-level style (as eval_melody cuts them)."""
    out: dict[str, list[Melody]] = defaultdict(list)
    for record in read_records(corpus, splits=splits):
        style = get_style(record["styles"][0])
        melody = record_to_song(record).melody
        if melody.bars < bars:
            continue
        window = slice_bars(melody, 0, bars)
        if len(window.notes) >= 8:
            out[style.parent or style.name].append(window)
    return out


def style_stats(melodies: list[Melody], *, bars: int, top: int = 12) -> dict[str, Any]:
    """The repeat structure of one style's windows."""
    n = len(melodies)
    pair = [[0] * bars for _ in range(bars)]
    per_bar: list[Counter] = [Counter() for _ in range(bars)]
    maps: Counter = Counter()
    maps_by_start: dict[str, Counter] = {"pickup": Counter(), "downbeat": Counter()}
    forms: Counter = Counter()
    pickups = 0
    shares = []
    for melody in melodies:
        sigs = [bar_signature(melody, b) for b in range(1, bars + 1)]
        half = round(melody.bar_length * GRID / 2)
        pickup = bool(melody.notes and melody.notes[0].onset > 1e-9)
        pickups += pickup
        for j in range(bars):
            best = "none"
            for i in range(j):
                kind = relation(sigs[i], sigs[j], half=half)
                if kind == "exact":
                    pair[i][j] += 1
                best = min(best, kind, key=("exact", "transposed", "varied", "rhythm", "none").index)
            per_bar[j][best] += 1
        maps[copy_map(sigs)] += 1
        maps_by_start["pickup" if pickup else "downbeat"][copy_map(sigs)] += 1
        forms[unit_form(sigs)] += 1
        share = ngram_repeat_share(melody)
        if share == share:
            shares.append(share)
    kinds = ("exact", "transposed", "varied", "rhythm")
    return {
        "n": n,
        "pickup_share": round(pickups / max(n, 1), 3),
        "interval_4gram_repeat_share_mean": round(statistics.fmean(shares), 3) if shares else None,
        "bar_copy_share": {k: round(sum(c[k] for c in per_bar[1:]) / max(n * (bars - 1), 1), 3) for k in kinds},
        "per_bar": [{k: round(c[k] / max(n, 1), 3) for k in kinds} for c in per_bar],
        "exact_pairs": {f"{i + 1}->{j + 1}": round(pair[i][j] / max(n, 1), 3)
                        for i in range(bars) for j in range(i + 1, bars) if pair[i][j] / max(n, 1) >= 0.05},
        "two_bar_forms": {f: round(c / max(n, 1), 3) for f, c in forms.most_common(top)},
        "copy_maps": [{"map": " ".join(map(str, m)), "share": round(c / max(n, 1), 3)} for m, c in maps.most_common(top)],
        "copy_maps_by_start": {
            start: {"n": sum(c.values()),
                    "maps": [{"map": " ".join(map(str, m)), "share": round(k / max(sum(c.values()), 1), 3)}
                             for m, k in c.most_common(top)]}
            for start, c in maps_by_start.items()},
    }


def templates(stats: dict[str, Any], *, top: int = 8, min_n: int = 20, min_share: float = 0.02
              ) -> dict[str, dict[str, list[list]]]:
    """The form templates tools/melody/form ships: per style and start (pickup / downbeat), the
    map without copies at its measured share, then the most common maps with copies (at most
    `top`, none rarer than `min_share`) scaled up to stand for all maps with copies, as [map, weight]
    with weights summing to 1.  A start with fewer than `min_n` tunes borrows the other start's maps."""
    out: dict[str, dict[str, list[list]]] = {}
    for style, st in sorted(stats.items()):
        groups = st["copy_maps_by_start"]
        chosen: dict[str, list[list]] = {}
        for start, other in (("pickup", "downbeat"), ("downbeat", "pickup")):
            group = groups[start] if groups[start]["n"] >= min_n else groups[other]
            if group["n"] < min_n:
                continue
            identity = " ".join(str(i) for i in range(1, len(group["maps"][0]["map"].split()) + 1))
            plain = next((m["share"] for m in group["maps"] if m["map"] == identity), 0.0)
            maps = [m for m in group["maps"][:top] if m["share"] >= min_share and m["map"] != identity]
            total = sum(m["share"] for m in maps)  # the kept copy maps stand for every map with copies
            chosen[start] = [[identity.replace(" ", ""), round(plain, 3)]] * (plain > 0) + [
                [m["map"].replace(" ", ""), round(m["share"] / total * (1 - plain), 3)] for m in maps]
        if chosen:
            out[style] = chosen
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    parser.add_argument("--splits", default="valid;train",
                        help="split sets to measure, ';' between sets, ',' inside one (default: valid;train)")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "form_stats.json")
    parser.add_argument("--maps", type=Path, default=FORM_MAPS_FILE,
                        help="where to write the templates tools/melody/form loads (default: the shipped file)")
    parser.add_argument("--no-maps", action="store_true", help="only write the report")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"bars": args.bars}
    for split_set in (part for part in args.splits.split(";") if part.strip()):
        splits = tuple(s.strip() for s in split_set.split(",") if s.strip())
        groups = windows(args.corpus, bars=args.bars, splits=splits)
        name = "+".join(splits)
        report[name] = {s: style_stats(m, bars=args.bars) for s, m in sorted(groups.items())}
        print(f"== {name}")
        for style, stats in report[name].items():
            forms = ", ".join(f"{f} {c}" for f, c in list(stats["two_bar_forms"].items())[:3])
            print(f"{style:20s} n={stats['n']:5d} pickup={stats['pickup_share']:.2f} "
                  f"4gram={stats['interval_4gram_repeat_share_mean']} exact={stats['bar_copy_share']['exact']} "
                  f"forms: {forms}")
    if "train" in report:
        report["templates"] = {"from": "train", **templates(report["train"])}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if "templates" in report and args.bars == FORM_BARS and not args.no_maps:
        maps = {style: table for style, table in report["templates"].items() if style != "from"}
        print(f"wrote {write_form_maps(maps, source=MAPS_SOURCE, path=args.maps)}")


if __name__ == "__main__":
    main()
