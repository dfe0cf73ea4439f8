"""Benchmark: our KV-cache sampling loop vs `model.generate()` on the same model, same run.

    python -m tunesmith.eval.bench_sampling --model checkpoints/default --threads 2

Prints one JSON object: tokens/s of HF generate (sampling, KV cache), of our loop without
constraints (the same number of tokens), of our loop with the melody grammar, and the end-to-end
seconds of an 8-bar constrained melody (prompt -> decoded Melody), with and without model loading.
Without --model (or when the folder is missing) it uses a freshly initialised `base`-size model.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any


def _our_free_loop(model: Any, prompt: list[int], n: int, seed: int) -> float:
    """Our loop without a grammar: n tokens, top-p sampling, KV cache; returns seconds."""
    import torch

    from ..finetune.sampling import SamplingConfig, draw

    config = SamplingConfig()
    generator = torch.Generator().manual_seed(seed)
    started = time.perf_counter()
    with torch.inference_mode():
        out = model(input_ids=torch.tensor([prompt]), use_cache=True)
        for _ in range(n):
            token = draw(out.logits[0, -1].float(), config=config, generator=generator)
            out = model(input_ids=torch.tensor([[token]]), cache=out.cache, use_cache=True)
    return time.perf_counter() - started


def _hf_generate(model: Any, prompt: list[int], n: int, seed: int, pad_id: int) -> float:
    import torch

    torch.manual_seed(seed)
    started = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(torch.tensor([prompt]), do_sample=True, top_p=0.95, max_new_tokens=n, min_new_tokens=n,
                             pad_token_id=pad_id, eos_token_id=None)
    assert out.shape[1] == len(prompt) + n
    return time.perf_counter() - started


def run(model_dir: Path | None, *, tokens: int, repeats: int, threads: int) -> dict[str, Any]:
    import torch
    from transformers.utils import logging as hf_logging

    from ..finetune.constraints import MelodySpec
    from ..finetune.model import build_model, count_parameters, get_preset, load_model
    from ..finetune.sampling import generate_melody, melody_prompt
    from ..tokenization.codec import default_codec
    from ..tokenization.music import KeySpec, Meter

    torch.set_num_threads(threads)
    hf_logging.set_verbosity_error()
    load_s = None
    if model_dir is not None and (model_dir / "model.safetensors").is_file():
        started = time.perf_counter()
        model, codec = load_model(model_dir)
        load_s = time.perf_counter() - started
        source = str(model_dir)
    else:
        codec = default_codec()
        torch.manual_seed(0)
        model = build_model(get_preset("base"), codec.vocab_size, pad_id=codec.pad_id, bos_id=codec.bos_id,
                            eos_id=codec.eos_id).eval()
        source = "random base"
    meter, key = Meter(4, 4), KeySpec("G")
    prompt = melody_prompt(codec, meter=meter, bars=8, style="irish-reel", key=key, tempo=112)
    _our_free_loop(model, prompt, 16, 0)  # warm up kernels
    hf = [tokens / _hf_generate(model, prompt, tokens, s, codec.pad_id) for s in range(repeats)]
    ours = [tokens / _our_free_loop(model, prompt, tokens, s) for s in range(repeats)]
    spec = MelodySpec(bars=8, meter=meter, key=key, scale="soft", low=55, high=84)
    melodies = []
    for seed in range(repeats):
        started = time.perf_counter()
        sample = generate_melody(model, codec, spec, style="irish-reel", tempo=112, seed=seed)
        melodies.append((time.perf_counter() - started, sample.new_tokens, sample.seconds, len(sample.melody.notes)))
    return {
        "model": source, "parameters": count_parameters(model), "threads": threads, "tokens": tokens,
        "hf_generate_tok_s": round(statistics.median(hf), 1),
        "our_loop_tok_s": round(statistics.median(ours), 1),
        "constrained_tok_s": round(statistics.median(m[1] / m[2] for m in melodies), 1),
        "melody_8_bars_s": round(statistics.median(m[0] for m in melodies), 3),
        "melody_8_bars_tokens": [m[1] for m in melodies], "melody_8_bars_notes": [m[3] for m in melodies],
        "model_load_s": round(load_s, 3) if load_s is not None else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("checkpoints/default"))
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.model, tokens=args.tokens, repeats=args.repeats, threads=args.threads), indent=2))


if __name__ == "__main__":
    main()
