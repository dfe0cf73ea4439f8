"""Benchmark: the fast sampling path vs `model.generate()` vs the first (HF) loop, same model, same run.

    nice python -m tunesmith.eval.bench_sampling --repeats 5 --e2e-per-style 5 --out eval/results/bench_sampling.json

The model is the shipped checkpoint with the melody adapter active (what the tools use).
Free sampling (no grammar, top-p 0.95, one stream, `--tokens` new tokens): HF `generate`,
the first loop over the HF forward, and the lean forward (finetune/decode/fast_forward.py) with the
numpy draw.  Constrained: an 8-bar irish-reel in D (the longest common request) by the
reference loop (`constrained_sample`, HF forward) and by the fast path with 1 and 4
candidates.  With `--e2e-per-style N`, also the end-to-end time of N 8-bar melodies per style
(controls -> `new_melody` with its checks -> MIDI, MusicXML and ABC written), for each
`--candidates` value, with the keys and seeds eval_melody uses.  Every figure is a median
(and p90 for end to end) given as wall and CPU time: the machine is shared, and CPU seconds
are what contention inflates least (one thread: on an idle machine wall ~ CPU).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _hf_generate(model: Any, prompt: list[int], n: int, seed: int, pad_id: int) -> int:
    import torch

    torch.manual_seed(seed)
    with torch.inference_mode():
        out = model.generate(input_ids=torch.tensor([prompt]), do_sample=True, top_p=0.95, max_new_tokens=n,
                             min_new_tokens=n, pad_token_id=pad_id, eos_token_id=None)
    return int(out.shape[1]) - len(prompt)


def _old_free_loop(model: Any, prompt: list[int], n: int, seed: int) -> int:
    """The first loop: HF forward with its KV cache, torch top-p draw over the whole vocabulary."""
    import torch

    from ..finetune.decode.sampling import SamplingConfig, draw

    config, generator = SamplingConfig(), torch.Generator().manual_seed(seed)
    with torch.inference_mode():
        out = model(input_ids=torch.tensor([prompt]), use_cache=True)
        for _ in range(n):
            token = draw(out.logits[0, -1].float(), config=config, generator=generator)
            out = model(input_ids=torch.tensor([[token]]), cache=out.cache, use_cache=True)
    return n


def _lean_free_loop(lean: Any, prompt: list[int], n: int, seed: int) -> int:
    """The lean forward with the numpy draw over the whole vocabulary (no grammar)."""
    import numpy as np

    from ..finetune.decode.sampling import SamplingConfig, Choices, pick

    config, rng = SamplingConfig(), np.random.default_rng(seed)
    every = Choices(ids=np.arange(lean.embed.shape[0]), penalty=None)
    logits, cache = lean.prefill(prompt, rows=1, capacity=len(prompt) + n + 1)
    for position in range(len(prompt), len(prompt) + n):
        token = pick(logits[0], every, config=config, rng=rng)
        logits = lean.step(np.array([token]), cache, position)
    return n


def _summary(runs: list[tuple[float, float, int]]) -> dict[str, float]:
    """Median seconds (wall, CPU) and tokens/s over repeats; runs are (wall, cpu, tokens)."""
    return {
        "wall_s": round(statistics.median(r[0] for r in runs), 4),
        "cpu_s": round(statistics.median(r[1] for r in runs), 4),
        "tok_s_wall": round(statistics.median(r[2] / r[0] for r in runs), 1),
        "tok_s_cpu": round(statistics.median(r[2] / r[1] for r in runs), 1),
        "tokens": round(statistics.median(r[2] for r in runs), 1),
    }


def end_to_end(runtime: Any, *, per_style: int, candidates: int, seed: int = 1) -> dict[str, Any]:
    """p50/p90 wall and CPU seconds of whole melody requests over eval_melody's styles and keys."""
    import tempfile
    from dataclasses import replace

    from ..tokenization.files import write_song
    from ..tools.melody.compose import new_melody
    from ..tools.melody.request import build_request
    from .eval_melody import STYLES, requested_keys

    rows = []
    with tempfile.TemporaryDirectory(prefix="tunesmith-bench-") as out:
        for style_index, style in enumerate(STYLES):
            for i, key in enumerate(requested_keys(per_style, seed=seed + style_index)):
                request = replace(build_request(style=style, key=key, bars=8, seed=seed * 1000 + i),
                                  candidates=candidates)
                wall, cpu, _ = _timed(lambda: write_song(new_melody(request, runtime=runtime).song, out,
                                                              stem=f"{style}-{i}"))
                rows.append((style, wall, cpu))

    def p(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[int(q * (len(ordered) - 1))], 3)

    walls, cpus = [r[1] for r in rows], [r[2] for r in rows]
    return {"n": len(rows), "candidates": candidates, "wall_p50": round(statistics.median(walls), 3),
            "wall_p90": p(walls, 0.9), "cpu_p50": round(statistics.median(cpus), 3), "cpu_p90": p(cpus, 0.9),
            "cpu_p50_per_style": {s: round(statistics.median(r[2] for r in rows if r[0] == s), 3) for s in STYLES}}


def run(checkpoint: Path, *, tokens: int, repeats: int, threads: int, e2e_per_style: int = 0,
        candidates: tuple[int, ...] = (2,)) -> dict[str, Any]:
    import torch
    from transformers.utils import logging as hf_logging

    from ..finetune.decode.constraints import MelodySpec, build_grammar
    from ..finetune.runtime import load_runtime
    from ..finetune.decode.sampling import SamplingConfig, constrained_sample, generate_melodies, melody_prompt
    from ..tokenization.music import KeySpec, Meter

    hf_logging.set_verbosity_error()
    runtime = load_runtime(checkpoint, threads=threads)
    with runtime.session("melody" if runtime.has_adapter("melody") else None) as active:
        adapter, model, codec = active.adapter, active.model, active.codec
        convert_s, _, lean = _timed(active.lean)
        meter, key, style, tempo = Meter(4, 4), KeySpec("D"), "irish-reel", 112
        prompt = melody_prompt(codec, meter=meter, bars=8, style=style, key=key, tempo=tempo)
        _old_free_loop(model, prompt, 16, 0), _lean_free_loop(lean, prompt, 16, 0)  # warm up
        free: dict[str, list] = {"hf_generate": [], "old_loop": [], "lean_loop": []}
        for seed in range(repeats):  # interleaved, so load changes hit every variant alike
            free["hf_generate"].append(_timed(lambda: _hf_generate(model, prompt, tokens, seed, codec.pad_id)))
            free["old_loop"].append(_timed(lambda: _old_free_loop(model, prompt, tokens, seed)))
            free["lean_loop"].append(_timed(lambda: _lean_free_loop(lean, prompt, tokens, seed)))
        spec = MelodySpec(bars=8, meter=meter, key=key, scale="strict", low=55, high=86)
        config = SamplingConfig(temperature=0.9)
        grammar = build_grammar(codec, spec)

        def reference(seed: int) -> int:
            return len(constrained_sample(model, prompt, grammar, grammar.feed([]), config=config,
                                          generator=torch.Generator().manual_seed(seed)))

        def fast(seed: int, count: int) -> int:
            samples = generate_melodies(lean, codec, spec, count=count, style=style, tempo=tempo, seed=seed,
                                        config=config)
            return sum(s.new_tokens for s in samples)

        melody: dict[str, list] = {"reference_loop": [], "fast_1": [], "fast_4": []}
        for seed in range(repeats):
            melody["reference_loop"].append(_timed(lambda: reference(seed)))
            melody["fast_1"].append(_timed(lambda: fast(seed, 1)))
            melody["fast_4"].append(_timed(lambda: fast(seed, 4)))
    e2e = []
    if e2e_per_style:
        from ..tools.melody.compose import new_melody
        from ..tools.melody.request import build_request

        new_melody(build_request(style="german-folk", key="G", seed=1), runtime=runtime)  # warm music21
        e2e = [end_to_end(runtime, per_style=e2e_per_style, candidates=c) for c in candidates]
    free_table = {name: _summary(runs) for name, runs in free.items()}
    melody_table = {name: _summary(runs) for name, runs in melody.items()}
    ratio = free_table["lean_loop"]["tok_s_cpu"] / free_table["hf_generate"]["tok_s_cpu"]
    return {
        "generated": time.strftime("%Y-%m-%d %H:%M"), "checkpoint": str(checkpoint), "adapter": adapter,
        "threads": threads, "repeats": repeats, "free_tokens": tokens,
        "lean_convert_s": round(convert_s, 4), "free_sampling": free_table, "melody_8_bars_reel": melody_table,
        "lean_vs_hf_generate_cpu": round(ratio, 2),
        "lean_vs_hf_generate_wall": round(free_table["lean_loop"]["tok_s_wall"]
                                          / free_table["hf_generate"]["tok_s_wall"], 2),
        "end_to_end_8_bars": e2e,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=ROOT / "checkpoints" / "default")
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--e2e-per-style", type=int, default=0, help="melodies per style for end-to-end timing")
    parser.add_argument("--candidates", default="2,4", help="candidate counts to time end to end, e.g. 2,4")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    report = run(args.checkpoint, tokens=args.tokens, repeats=args.repeats, threads=args.threads,
                 e2e_per_style=args.e2e_per_style, candidates=tuple(int(c) for c in args.candidates.split(",")))
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
