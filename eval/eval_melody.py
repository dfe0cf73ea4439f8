"""Evaluate the shipped melody model: validity, key adherence, realism against the real-data
bands, style recognisability, and end-to-end speed.

    python -m tunesmith.eval.eval_melody --per-style 50 --out eval/results/melody.json
    python -m tunesmith.eval.eval_melody --per-style 10 --baseline --out eval/results/melody_guard.json
    python -m tunesmith.eval.eval_melody --per-style 20 --styles irish-hornpipe,scottish-strathspey --no-recognition --out eval/results/melody_swing.json

Every number in the README's melody section comes from this script.  Requested keys are
drawn with a fixed seed (70% major, 30% minor over all 12 tonics); realism compares the
per-style mean of each metric with the real held-out band [p10, p90] and with the
shuffled-pitch control of the same style, both cut to the same number of bars.  Degenerate lines
(tools/theory/melody.check_monotony: two notes see-sawing for two bars, one rhythm value throughout)
are counted per style against the same real windows; `--baseline` also generates every melody with
that guard switched off (the ranking before issue 16) in the same run, for a before/after.
A style with a swing in tokenization/styles.toml (hornpipes) is measured twice from the same
melodies: as the model writes them and with the swing the melody action writes into them
(`swing` in the JSON); `--styles irish-hornpipe,scottish-strathspey` runs those styles alone.
`--vary N` varies N melodies per style with vary_melody and with the method before issue 16 (bar 1
kept, the rest re-sampled) and measures how each follows its original after bar 1.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..finetune.runtime import load_runtime
from ..finetune.corpus.profiles import build_profiles, melody_features
from ..tokenization.files import write_song
from ..tokenization.music import KeySpec, spell_pitch_class
from ..tokenization.records import record_to_song
from ..tools.errors import ToolError
from ..tools.melody.compose import new_melody
from ..tools.melody.request import build_request
from ..tools.theory.key import same_key
from .bands import read_records
from .metrics import melody_metrics

STYLES = ("german-folk", "chinese-han", "lorraine-folk", "luxembourg-folk", "irish-reel", "irish-jig",
          "irish-hornpipe", "irish-air", "scottish-strathspey", "bach-chorale")
REALISM = ("step_ratio", "mean_abs_interval", "interval_4gram_repeat_share", "ends_on_tonic", "in_key_ratio",
           "pitch_class_entropy", "key_clarity", "rhythm_value_entropy", "dotted_pair_share", "distinct_pitches_per_bar", "two_pitch_run_bars")
SHARES = ("degenerate",)  # 0/1 per melody: compared as shares, not bands
ROOT = Path(__file__).resolve().parents[1]


def requested_keys(count: int, *, seed: int) -> list[KeySpec]:
    """A fixed spread of requested keys."""
    rng = random.Random(seed)
    keys = []
    for _ in range(count):
        mode = "major" if rng.random() < 0.7 else "minor"
        keys.append(KeySpec(spell_pitch_class(rng.randrange(12), mode=mode), mode))
    return keys


def generate_set(runtime, *, per_style: int, bars: int, seed: int, progress,
                 styles: tuple[str, ...] = STYLES) -> list[dict[str, Any]]:
    """Generate per_style melodies for every style; one row per attempt-set with its outcome.
    A style with a swing (styles.toml) also gets the metrics of the same melody swung as the
    melody action writes it (tools/melody/swing), so before/after come from one set."""
    from ..tools.melody.swing import swing_melody

    rows = []
    out_dir = Path(tempfile.mkdtemp(prefix="tunesmith-eval-"))
    for style_index, style in enumerate(STYLES):
        if style not in styles:
            continue
        for i, key in enumerate(requested_keys(per_style, seed=seed + style_index)):
            request = build_request(style=style, key=key, bars=bars, seed=seed * 1000 + i)
            started = time.perf_counter()
            row: dict[str, Any] = {"style": style, "key": str(key), "bars": bars, "meter": str(request.meter)}
            try:
                result = new_melody(request, runtime=runtime)
                write_song(result.song, out_dir, stem=f"{style}-{i}")
            except ToolError as err:
                row.update(valid=False, error=str(err), seconds=time.perf_counter() - started)
                rows.append(row)
                progress()
                continue
            melody = result.melody
            row.update(
                valid=result.report.ok, seconds=time.perf_counter() - started, attempts=result.attempts,
                bars_ok=melody.bars == bars and melody.bars_needed() <= bars,
                meter_ok=str(melody.meter) == str(request.meter),
                key_ok=same_key(key, result.estimated_key), key_exact=result.estimated_key == key,
                metrics=melody_metrics(melody), melody=melody,
            )
            swung = swing_melody(melody, style=style)
            row.update(swung_pairs=swung.pairs,
                       swung_metrics=melody_metrics(swung.melody) if swung.pairs else row["metrics"])
            rows.append(row)
            progress()
    return rows


def window_reference(corpus: Path, *, bars: int, seed: int = 0) -> dict[str, dict[str, dict[str, float]]]:
    """Real held-out tunes cut to their first `bars` bars, and their shuffled-pitch control, per style.

    The committed bands describe whole tunes with repeats written out; a generated 8-bar melody is
    compared with 8-bar openings of real tunes instead (like with like).
    """
    import numpy as np
    from ..tokenization.styles import get_style
    from ..tokenization.music import slice_bars
    from .bands import shuffled_pitches, summarise as band_stats

    values: dict[str, dict[str, list[dict[str, float]]]] = defaultdict(lambda: {"real": [], "shuffled": []})
    for record in read_records(corpus, splits=("valid", "test")):
        style = get_style(record["styles"][0])
        label = style.parent or style.name
        melody = record_to_song(record).melody
        if melody.bars < bars:
            continue
        window = slice_bars(melody, 0, bars)
        if len(window.notes) < 8:
            continue
        rng = np.random.default_rng([seed, int(record["hash"][:12], 16)])
        values[label]["real"].append(melody_metrics(window))
        values[label]["shuffled"].append(melody_metrics(shuffled_pitches(window, rng)))
    return {
        style: {variant: {metric: band_stats(m[metric] for m in rows) for metric in REALISM + SHARES}
                for variant, rows in groups.items()} | {"n": len(groups["real"])}
        for style, groups in values.items()
    }


def realism(rows: list[dict[str, Any]], reference: dict[str, Any], *, field: str = "metrics") -> dict[str, Any]:
    """Per style and metric: generated mean, the real window band, the shuffled mean, two verdicts
    (`field`: the rows' metrics, or "swung_metrics" for the same melodies with their style's swing)."""
    table: dict[str, Any] = {}
    for style in STYLES:
        got = [r[field] for r in rows if r["style"] == style and r.get(field)]
        band = reference.get(style)
        if not got or band is None:
            continue
        table[style] = {"n_real": band["n"]}
        for metric in SHARES:
            table[style][metric] = {"generated": round(statistics.fmean(m[metric] for m in got), 3),
                                    "real_mean": band["real"][metric]["mean"]}
        for metric in REALISM:
            defined = [m[metric] for m in got if not math.isnan(m[metric])]
            real, shuffled = band["real"][metric], band["shuffled"][metric]
            if not defined or real["mean"] is None:
                continue
            mean = statistics.fmean(defined)
            table[style][metric] = {
                "generated": round(mean, 3), "real_mean": real["mean"], "real_p10": real["p10"],
                "real_p90": real["p90"], "shuffled_mean": shuffled["mean"],
                "in_band": bool(real["p10"] - 1e-9 <= mean <= real["p90"] + 1e-9),
                "closer_to_real": abs(mean - real["mean"]) < abs(mean - shuffled["mean"]),
            }
    return table


def style_recognition(rows: list[dict[str, Any]], corpus: Path) -> dict[str, Any]:
    """The style classifier of finetune/corpus/profiles: fitted on the real held-out melodies
    (valid + test) to judge the generated ones; its ceiling on real data is measured by
    fitting on train and testing on test."""
    from ..tokenization.styles import get_style

    def pairs(split: str):
        for record in read_records(corpus, splits=(split,)):
            style = get_style(record["styles"][0])
            yield style.parent or style.name, record_to_song(record).melody

    def accuracy(profiles, labelled) -> tuple[float, float, int]:
        hits = [(truth, profiles.rank(melody_features(m))[0][0] == truth) for truth, m in labelled]
        per = defaultdict(list)
        for truth, hit in hits:
            per[truth].append(hit)
        balanced = statistics.fmean(statistics.fmean(v) for v in per.values()) if per else 0.0
        return round(statistics.fmean(h for _, h in hits), 3) if hits else 0.0, round(balanced, 3), len(hits)

    ceiling = accuracy(build_profiles(pairs("train")), [(s, m) for s, m in pairs("test") if s in STYLES])
    judge = build_profiles(list(pairs("valid")) + list(pairs("test")))
    generated = [(r["style"], judge.rank(melody_features(r["melody"]))[0][0]) for r in rows
                 if r.get("melody") is not None]
    confusion: dict[str, Counter] = defaultdict(Counter)
    for truth, guess in generated:
        confusion[truth][guess] += 1
    per_style = {t: round(c[t] / max(sum(c.values()), 1), 3) for t, c in confusion.items()}
    return {
        "labels": judge.labels,
        "real_test_accuracy": ceiling[0], "real_test_balanced_accuracy": ceiling[1], "real_test_n": ceiling[2],
        "generated_accuracy": round(sum(t == g for t, g in generated) / max(len(generated), 1), 3),
        "generated_balanced_accuracy": round(statistics.fmean(per_style.values()), 3) if per_style else 0.0,
        "generated_n": len(generated), "per_style": per_style,
        "confusion": {t: dict(c) for t, c in sorted(confusion.items())},
    }


@contextmanager
def guard_off():
    """The ranking without the degenerate-line guard (as before issue 16): the theory checks
    report no monotony findings, so nothing ranks lower or counts as a warning for it."""
    from ..tools.theory import check

    saved = check.check_monotony
    check.check_monotony = lambda melody: []
    try:
        yield
    finally:
        check.check_monotony = saved


def degenerate_shares(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per style and overall: the share of generated melodies with a degenerate line."""
    got = [r for r in rows if r.get("metrics")]
    per_style = {style: round(statistics.fmean(r["metrics"]["degenerate"] for r in mine), 3)
                 for style in STYLES if (mine := [r for r in got if r["style"] == style])}
    return {"all": round(statistics.fmean(r["metrics"]["degenerate"] for r in got), 3) if got else None,
            "per_style": per_style}


def old_variation(melody, *, runtime, request):
    """The variation before issue 16, as the control: bar 1 kept, the rest re-sampled, the
    candidate whose onsets share most with the original's (not a copy) kept, then checked."""
    from dataclasses import replace

    from ..tools.melody.compose import _best_of, _sample
    from ..tools.melody.request import prefix_of

    ask = replace(request, bars=melody.bars)

    def rhythm(a, b) -> float:
        grid_a, grid_b = {round(n.onset * 12) for n in a.notes}, {round(n.onset * 12) for n in b.notes}
        return len(grid_a & grid_b) / max(len(grid_a | grid_b), 1)

    def make(seed):
        candidates = _sample(runtime, ask, seed=seed, prefix=prefix_of(melody, bars=1), keep_bars=1)
        return sorted(candidates, key=lambda c: rhythm(melody, c) - (c.notes == melody.notes))[-2:]

    return _best_of(runtime, ask, make=make, title="Variation")


def variation_study(runtime, rows: list[dict[str, Any]], *, per_style: int, seed: int) -> dict[str, Any]:
    """Vary `per_style` generated melodies per style with vary_melody and with the old method;
    how closely each variation follows its original after bar 1 (rhythm, contour, same pitch)."""
    from ..tools.melody.compose import vary_melody
    from ..tools.melody.variation import likeness_parts, notes_between

    table: dict[str, Any] = {}
    for method, vary in (("old", old_variation), ("new", vary_melody)):
        parts, failed, seconds = [], 0, []
        for style in STYLES:
            for row in [r for r in rows if r["style"] == style and r.get("melody") is not None][:per_style]:
                melody = row["melody"]
                request = build_request(style=style, key=melody.key, meter=melody.meter, bars=melody.bars,
                                        seed=seed * 7919 + len(seconds), tempo=melody.tempo)
                started = time.perf_counter()
                try:
                    varied = vary(melody, runtime=runtime, request=request).melody
                except ToolError:
                    failed += 1
                    continue
                seconds.append(time.perf_counter() - started)
                bar = melody.bar_length
                parts.append(likeness_parts(notes_between(melody, bar, melody.length),
                                            notes_between(varied, bar, varied.length)))
        table[method] = {
            "n": len(parts), "failed": failed,
            **{name: round(statistics.fmean(p[i] for p in parts), 3) if parts else None
               for i, name in enumerate(("rhythm", "contour", "same_pitch"))},
            "seconds_p50": round(statistics.median(seconds), 2) if seconds else None,
        }
    return table


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in rows if r.get("valid")]
    eight = sorted(r["seconds"] for r in rows if r.get("valid"))
    per_style = {}
    for style in STYLES:
        mine = [r for r in rows if r["style"] == style]
        good = [r for r in mine if r.get("valid")]
        per_style[style] = {
            "n": len(mine), "valid": round(len(good) / max(len(mine), 1), 3),
            "key": round(sum(r["key_ok"] for r in good) / max(len(good), 1), 3),
            "bars_and_meter": round(sum(r["bars_ok"] and r["meter_ok"] for r in good) / max(len(good), 1), 3),
        }
    return {
        "n": len(rows), "validity": round(len(ok) / max(len(rows), 1), 4),
        "key_adherence": round(sum(r["key_ok"] for r in ok) / max(len(ok), 1), 4),
        "key_exact": round(sum(r["key_exact"] for r in ok) / max(len(ok), 1), 4),
        "bars_and_meter": round(sum(r["bars_ok"] and r["meter_ok"] for r in ok) / max(len(ok), 1), 4),
        "mean_attempts": round(statistics.fmean(r["attempts"] for r in ok), 2) if ok else None,
        "seconds_p50": round(statistics.median(eight), 3) if eight else None,
        "seconds_p90": round(eight[int(0.9 * (len(eight) - 1))], 3) if eight else None,
        "per_style": per_style,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-style", type=int, default=50)
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--checkpoint", type=Path, default=ROOT / "checkpoints" / "default")
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "melody.json")
    parser.add_argument("--vary", type=int, default=0, metavar="N",
                        help="vary N melodies per style, old and new method, and measure how they follow the original")
    parser.add_argument("--baseline", action="store_true",
                        help="also generate every melody without the degenerate-line guard (before/after in one run)")
    parser.add_argument("--styles", default=",".join(STYLES),
                        help="comma-separated styles to generate (default: all ten); keys and seeds stay those of the full run")
    parser.add_argument("--no-recognition", action="store_true",
                        help="skip the style classifier (it needs a corpus with every style)")
    args = parser.parse_args(argv)
    styles = tuple(s.strip() for s in args.styles.split(",") if s.strip())
    unknown = [s for s in styles if s not in STYLES]
    if unknown:
        parser.error(f"unknown style {', '.join(unknown)}; the eval's styles: {', '.join(STYLES)}")
    from tqdm import tqdm

    runtime = load_runtime(args.checkpoint, threads=args.threads)
    reference = window_reference(args.corpus, bars=args.bars)

    def generate(label: str) -> list[dict[str, Any]]:
        with tqdm(total=args.per_style * len(styles), desc=label, unit="melody") as bar:
            return generate_set(runtime, per_style=args.per_style, bars=args.bars, seed=args.seed,
                                progress=lambda: bar.update(1), styles=styles)

    def measured(rows: list[dict[str, Any]]) -> dict[str, Any]:
        swung = sorted({r["style"] for r in rows if r.get("swung_pairs")})
        return {"summary": summarise(rows), "degenerate": degenerate_shares(rows), "realism": realism(rows, reference),
                "swing": {"styles": swung, "pairs_per_melody": {s: round(statistics.fmean(
                              r["swung_pairs"] for r in rows if r["style"] == s and "swung_pairs" in r), 2) for s in swung},
                          "realism_swung": {s: v for s, v in realism(rows, reference, field="swung_metrics").items()
                                            if s in swung}},
                "style_recognition": None if args.no_recognition else style_recognition(rows, args.corpus)}

    report: dict[str, Any] = {
        "generated": time.strftime("%Y-%m-%d %H:%M"), "checkpoint": str(args.checkpoint),
        "command": "python -m tunesmith.eval.eval_melody " + " ".join(argv if argv is not None else sys.argv[1:]),
        "manifest_steps": runtime.manifest.get("steps"),
        "real_degenerate": {style: band["real"]["degenerate"]["mean"] for style, band in reference.items()},
    }
    if args.baseline:
        with guard_off():
            report["baseline"] = measured(generate("without the guard"))
    rows = generate("generating")
    report.update(measured(rows), failures=[r["error"] for r in rows if "error" in r][:20])
    if args.vary:
        report["variation"] = variation_study(runtime, rows, per_style=args.vary, seed=args.seed)
        print("variation:", json.dumps(report["variation"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for label in ("baseline", None):
        part = report.get(label) if label else report
        if part:
            print(label or "with the guard", "degenerate:", json.dumps(part["degenerate"]),
                  "validity:", part["summary"]["validity"], "p50 s:", part["summary"]["seconds_p50"])
    print("real degenerate:", json.dumps(report["real_degenerate"]))
    print(json.dumps(report["summary"], indent=1))
    print(json.dumps(report["style_recognition"], indent=1))
    tables = [("", report["realism"]), (" swung", report["swing"]["realism_swung"])]
    for label, table in tables:
        for style, metrics in table.items():
            cells = ", ".join(f"{m}={v['generated']} [{v['real_p10']}-{v['real_p90']}] shuf={v['shuffled_mean']}"
                              for m, v in metrics.items() if m in REALISM)
            print(f"{style}{label}: {cells}")


if __name__ == "__main__":
    main()
