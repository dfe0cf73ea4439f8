"""Does `tunesmith adapt` move the model toward a person's files?  Time it and measure how far.

    nice python -m tunesmith.eval.eval_adapt --style irish-reel --files 20 --steps 300 --per-condition 30

Picks `--files` real tunes of one style from the held-out split (test, then valid), writes them
as MIDI files into a temporary folder, runs the real adapt path (`tools.melody.adapt.adapt_style`,
which reads the MIDI back, trains a LoRA and saves it in a temporary styles home), then
generates 8-bar melodies three ways with the same keys, meter, tempo, range and seeds:
`before` (the shipped melody adapter, no style: what a person gets without the new style),
`after` (the new adapter: `--style NAME`), and `builtin` (the melody adapter with the built-in
style token, for context).  Each condition's metric means are compared with the files' own
8-bar openings: distance = |generated mean - files' mean| / files' standard deviation, per
metric; `moved` says whether `after` is closer than `before`.  Writes eval/results/adapt.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..tokenization.music import Melody
from .metrics import melody_metrics

ROOT = Path(__file__).resolve().parents[1]
METRICS = ("step_ratio", "mean_abs_interval", "interval_4gram_repeat_share", "pitch_class_entropy",
           "notes_per_bar", "pitch_range", "in_key_ratio", "bar_repetition")
ADAPTER_NAME = "eval-adapt"


def window_metrics(melody: Melody, *, bars: int) -> dict[str, float] | None:
    """The metrics of a melody's first `bars` bars (None when it is shorter or nearly empty)."""
    from ..tokenization.music import slice_bars

    if melody.bars < bars:
        return None
    window = slice_bars(melody, 0, bars)
    if len(window.notes) < 8:
        return None
    values = melody_metrics(window)
    values["notes_per_bar"] = len(window.notes) / bars
    return {name: float(values[name]) for name in METRICS}


def metric_distances(reference: Sequence[Mapping[str, float]], generated: Sequence[Mapping[str, float]], *,
                     metrics: Iterable[str] = METRICS) -> dict[str, dict[str, float]]:
    """Per metric: the reference mean and sd, the generated mean, and |difference| in reference sds.

    >>> ref = [{"a": 1.0}, {"a": 3.0}]
    >>> metric_distances(ref, [{"a": 4.0}], metrics=["a"])["a"]["distance"]
    1.414
    """
    table = {}
    for name in metrics:
        ref = [float(row[name]) for row in reference]
        gen = [float(row[name]) for row in generated]
        if not ref or not gen:
            raise ValueError(f"no values for {name!r}")
        mean, gen_mean = statistics.fmean(ref), statistics.fmean(gen)
        sd = statistics.stdev(ref) if len(ref) > 1 else 0.0
        scale = sd if sd > 1e-9 else max(abs(mean), 1.0)  # a constant reference: relative distance
        table[name] = {"files_mean": round(mean, 3), "files_sd": round(sd, 3), "generated_mean": round(gen_mean, 3),
                       "distance": round(abs(gen_mean - mean) / scale, 3)}
    return table


def movement(before: Mapping[str, Mapping[str, float]], after: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """Per metric: distance before and after adapting, and whether `after` is closer; plus totals.

    >>> b = {"a": {"distance": 2.0}, "b": {"distance": 0.5}}
    >>> a = {"a": {"distance": 0.5}, "b": {"distance": 1.0}}
    >>> m = movement(b, a)
    >>> m["a"]["moved"], m["b"]["moved"], m["moved_toward"], m["mean_before"], m["mean_after"]
    (True, False, 1, 1.25, 0.75)
    """
    table: dict[str, Any] = {}
    for name in before:
        was, now = before[name]["distance"], after[name]["distance"]
        table[name] = {"before": was, "after": now, "moved": now < was}
    table["moved_toward"] = sum(1 for name in before if table[name]["moved"])
    table["mean_before"] = round(statistics.fmean(before[n]["distance"] for n in before), 3)
    table["mean_after"] = round(statistics.fmean(after[n]["distance"] for n in before), 3)
    return table


def pick_files(corpus: Path, *, style: str, count: int, bars: int, seed: int) -> list[dict[str, Any]]:
    """`count` held-out tunes of one style (test split first) that are long enough to compare."""
    from ..tokenization.records import record_to_song
    from .bands import read_records

    chosen: list[dict[str, Any]] = []
    for split in ("test", "valid"):
        pool = [r for r in read_records(corpus, splits=(split,)) if r["styles"][0] == style]
        random.Random(seed).shuffle(pool)
        chosen += [r for r in pool if window_metrics(record_to_song(r).melody, bars=bars)]
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} held-out {style} tunes of {bars}+ bars; ask for fewer files")
    return chosen[:count]


def write_midi_files(records: Sequence[dict[str, Any]], folder: Path) -> list[Path]:
    """The records as MIDI files (what a person would hand to `tunesmith adapt`)."""
    from ..tokenization.midi import write_midi
    from ..tokenization.records import record_to_song

    folder.mkdir(parents=True, exist_ok=True)
    return [write_midi(record_to_song(r), folder / f"tune-{i:02d}.mid") for i, r in enumerate(records)]


def generate(runtime, requests: Sequence[Any], *, bars: int) -> tuple[list[dict[str, float]], float]:
    """Metrics of one checked melody per request, and the median seconds per melody."""
    from ..tools.melody.compose import new_melody

    rows, seconds = [], []
    for request in requests:
        started = time.perf_counter()
        result = new_melody(request, runtime=runtime)
        seconds.append(time.perf_counter() - started)
        rows.append(window_metrics(result.melody, bars=bars))
    return [r for r in rows if r], statistics.median(seconds)


def run(*, checkpoint: Path, corpus: Path, style: str, files: int, steps: int, per_condition: int, bars: int,
        seed: int, threads: int) -> dict[str, Any]:
    import torch

    from ..tokenization.records import record_to_song

    torch.set_num_threads(threads)
    records = pick_files(corpus, style=style, count=files, bars=bars, seed=seed)
    songs = [record_to_song(r) for r in records]
    reference = [window_metrics(s.melody, bars=bars) for s in songs]
    with tempfile.TemporaryDirectory(prefix="tunesmith-adapt-eval-") as tmp:
        return _adapt_and_compare(Path(tmp), checkpoint=checkpoint, style=style, records=records, songs=songs,
                                  reference=reference, steps=steps, per_condition=per_condition, bars=bars,
                                  seed=seed, threads=threads)


def _adapt_and_compare(work: Path, *, checkpoint: Path, style: str, records, songs, reference, steps: int,
                       per_condition: int, bars: int, seed: int, threads: int) -> dict[str, Any]:
    from ..finetune.runtime import load_runtime
    from ..tokenization.music import KeySpec
    from ..tools.melody.adapt import adapt_style
    from ..tools.melody.request import build_request

    write_midi_files(records, work / "files")
    started, cpu = time.perf_counter(), time.process_time()
    result = adapt_style(work / "files", name=ADAPTER_NAME, base_dir=checkpoint, styles_home=work / "home",
                         run_dir=work / "run", steps=steps, progress=False)
    adapt_wall, adapt_cpu = time.perf_counter() - started, time.process_time() - cpu

    meter = Counter(str(s.melody.meter) for s in songs).most_common(1)[0][0]
    tempo = int(statistics.median(s.melody.tempo for s in songs))
    pitches = sorted(n.pitch for s in songs for n in s.melody.notes)
    low, high = pitches[len(pitches) // 50], pitches[-1 - len(pitches) // 50]  # 2nd-98th percentile
    keys = [KeySpec(r["key"], r["mode"]) for r in records]  # each file's own key, in turn
    runtime = load_runtime(checkpoint, threads=threads, user_styles=work / "home")

    def requests(style_name: str | None) -> list[Any]:
        return [build_request(style=style_name, key=keys[i % len(keys)], meter=meter, tempo=tempo, bars=bars,
                              range_=(low, max(high, low + 7)), seed=seed * 1000 + i, adapters=runtime.adapters)
                for i in range(per_condition)]

    conditions = {"before": requests(None), "after": requests(ADAPTER_NAME), "builtin": requests(style)}
    if any(r.adapter != ADAPTER_NAME or r.style_token is not None for r in conditions["after"]):
        raise SystemExit("the adapted style was not picked up as an adapter")
    tables, timing = {}, {}
    for name, reqs in conditions.items():
        rows, seconds = generate(runtime, reqs, bars=bars)
        tables[name] = metric_distances(reference, rows)
        timing[name] = round(seconds, 3)
    return {
        "generated": time.strftime("%Y-%m-%d %H:%M"), "checkpoint": str(checkpoint), "style": style,
        "files": len(records), "skipped_files": [list(s) for s in result.skipped], "steps": steps, "threads": threads,
        "adapt_wall_s": round(adapt_wall, 1), "adapt_cpu_s": round(adapt_cpu, 1),
        "train_loss": result.train_loss, "valid_loss": result.valid_loss,
        "requests": {"meter": meter, "tempo": tempo, "range": [low, high], "bars": bars,
                     "per_condition": per_condition, "keys": sorted({str(k) for k in keys})},
        "seconds_per_melody_p50": timing,
        "distance": {name: {m: v["distance"] for m, v in table.items()} for name, table in tables.items()},
        "movement_before_to_after": movement(tables["before"], tables["after"]),
        "detail": tables,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--style", default="irish-reel")
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--steps", type=int, default=300)  # the CLI default
    parser.add_argument("--per-condition", type=int, default=30)
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--checkpoint", type=Path, default=ROOT / "checkpoints" / "default")
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "adapt.json")
    args = parser.parse_args(argv)
    report = run(checkpoint=args.checkpoint, corpus=args.corpus, style=args.style, files=args.files,
                 steps=args.steps, per_condition=args.per_condition, bars=args.bars, seed=args.seed,
                 threads=args.threads)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "detail"}, indent=1))


if __name__ == "__main__":
    main()
