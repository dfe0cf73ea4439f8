"""Grammar-constrained melody sampling with a KV cache (several times faster than `model.generate`).

One token at a time: the grammar (constraints.py) says which ids may come next, everything
else is left out (anticipation's `safe_logits` idea), out-of-key pitches may get a soft
penalty, then temperature / top-k / top-p and a draw from a per-call seeded generator, so the
same seed gives the same melody.  The result always decodes to a Melody with exactly the
requested bars.  Prefix mode continues a melody whose first `keep_bars` bars are given.

`generate_melodies` is the fast path: the lean forward (fast_forward.py), draws over the
allowed ids only (numpy), several candidates per forward step.  `constrained_sample` is the
first loop over the HF model, kept as the reference that eval/bench_sampling.py measures.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...tokenization.errors import TokenizationError
from ...tokenization.music import KeySpec, Melody, Meter
from .constraints import Grammar, GrammarState, MelodySpec, build_grammar
from ..errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from ...tokenization.codec import MusicCodec


@dataclass(frozen=True, slots=True)
class SamplingConfig:
    """How adventurous sampling is."""

    temperature: float = 1.0  # < 1 is safer, > 1 wilder
    top_k: int = 0  # keep the k most likely tokens (0 = off)
    top_p: float = 0.95  # nucleus: keep the smallest set with this much probability (1 = off)
    out_of_key_penalty: float = 2.0  # logit penalty for out-of-key pitches with scale="soft"

    def __post_init__(self) -> None:
        if self.temperature <= 0 or not 0 < self.top_p <= 1 or self.top_k < 0 or self.out_of_key_penalty < 0:
            raise ModelError(f"bad sampling settings: {self}")


@dataclass(frozen=True, slots=True)
class Sample:
    """A generated melody with the tokens that made it and how long it took."""

    melody: Melody
    token_ids: tuple[int, ...]  # the music tokens (prefix included)
    new_tokens: int
    seconds: float
    seed: int


# ---- pure logit helpers --------------------------------------------------------------------
def mask_logits(logits: torch.Tensor, allowed: list[int], *, penalised: list[int] | None = None,
                penalty: float = 0.0) -> torch.Tensor:
    """A copy of 1-D logits with every id outside `allowed` at -inf and `penalised` ids lowered."""
    import torch

    if not allowed:
        raise ModelError("the grammar allows no next token")
    out = torch.full_like(logits, -math.inf)
    index = torch.as_tensor(allowed, dtype=torch.long)
    out[index] = logits[index]
    if penalised and penalty:
        pen = torch.as_tensor(penalised, dtype=torch.long)
        out[pen] = out[pen] - penalty
    return out


def filter_logits(logits: torch.Tensor, *, top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """Top-k then top-p (nucleus) filtering of 1-D logits; the best token always survives."""
    import torch

    out = logits.clone()
    if top_k and top_k < out.numel():
        kth = torch.topk(out, top_k).values[-1]
        out[out < kth] = -math.inf
    if top_p < 1.0:
        sorted_logits, order = torch.sort(out, descending=True)
        cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
        drop = cumulative > top_p
        drop[1:] = drop[:-1].clone()  # keep the token that crosses the threshold
        drop[0] = False
        out[order[drop]] = -math.inf
    return out


def draw(logits: torch.Tensor, *, config: SamplingConfig, generator: torch.Generator) -> int:
    """One token id from masked 1-D logits."""
    import torch

    scaled = filter_logits(logits / config.temperature, top_k=config.top_k, top_p=config.top_p)
    probs = torch.softmax(scaled, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))


# ---- prompts -------------------------------------------------------------------------------
def melody_prompt(codec: MusicCodec, *, meter: Meter, bars: int, style: str | None = None,
                  key: KeySpec | None = None, tempo: int | None = None, task: str = "melody") -> list[int]:
    """BOS, the control tokens and MUSIC: what a melody request looks like to the model."""
    controls = codec.control_tokens(task=task, style=style, key=key, meter=meter, tempo=tempo, bars=bars)
    return [codec.bos_id, *codec.ids(controls), codec.music_id]


# ---- the reference loop over the HF model ------------------------------------------------------
def constrained_sample(model: Any, prompt: list[int], grammar: Grammar, state: GrammarState, *,
                       config: SamplingConfig, generator: torch.Generator,
                       max_positions: int | None = None) -> list[int]:
    """Sample until the grammar reaches EOS; returns the new ids (EOS excluded).

    The reference loop (HF forward, torch draws over the whole vocabulary); the tools use
    `generate_melodies`.  Feeds the prompt once, then one token per step through the KV cache
    (`cache`, the transformers 5.24 name of `past_key_values`).
    """
    import torch

    limit = max_positions or int(getattr(model.config, "max_position_embeddings", 1024))
    device = next(model.parameters()).device
    penalised = grammar.pitch_penalty_ids() if grammar.spec.scale == "soft" else []
    new: list[int] = []
    with torch.inference_mode():
        out = model(input_ids=torch.tensor([prompt], device=device), use_cache=True)
        past = out.cache
        logits = out.logits[0, -1].float().cpu()
        while state.phase != "done":
            if len(prompt) + len(new) >= limit:
                raise ModelError(f"the melody needs more than {limit} tokens; ask for fewer bars")
            allowed = grammar.allowed(state)
            masked = mask_logits(logits, allowed, penalised=penalised if state.phase == "pitch" else None,
                                 penalty=config.out_of_key_penalty)
            token = draw(masked, config=config, generator=generator)
            state = grammar.advance(state, token, check=False)
            if state.phase == "done":
                break
            new.append(token)
            out = model(input_ids=torch.tensor([[token]], device=device), cache=past, use_cache=True)
            past = out.cache
            logits = out.logits[0, -1].float().cpu()
    return new


def generate_melody(model: Any, codec: MusicCodec, spec: MelodySpec, *, style: str | None = None,
                    tempo: int | None = None, seed: int = 0, config: SamplingConfig | None = None,
                    prefix: Melody | None = None) -> Sample:
    """A melody that satisfies `spec`, sampled from `model` (which may carry an active adapter).

    With `prefix` (a melody of `spec.keep_bars` bars), its notes are kept and the rest is new.
    """
    return generate_melodies(model, codec, spec, count=1, style=style, tempo=tempo, seed=seed, config=config,
                             prefix=prefix)[0]


# ---- the fast path: lean forward, numpy draws, several candidates in one batch ---------------
@dataclass(frozen=True)
class Choices:
    """One allowed-id list as arrays: the ids and, for pitches, the soft-scale penalty per id."""

    ids: Any  # np.ndarray of int64
    penalty: Any  # np.ndarray of float64, or None


def pick(logits: Any, choices: Choices, *, config: SamplingConfig, rng: Any) -> int:
    """One id drawn from `choices` given a row of logits (numpy), with the same temperature,
    top-k and top-p (nucleus; the token that crosses top_p is kept) as `draw`.

    Works on the few allowed ids only, so it costs microseconds; a single allowed id is
    returned without drawing.
    """
    import numpy as np

    ids = choices.ids
    if len(ids) == 1:
        return int(ids[0])
    sub = logits[ids].astype(np.float64)
    if choices.penalty is not None:
        sub = sub - choices.penalty
    sub = sub / config.temperature
    order = np.argsort(-sub, kind="stable")
    if config.top_k and config.top_k < len(order):
        order = order[: config.top_k]
    ranked = sub[order]
    probs = np.exp(ranked - ranked[0])
    cumulative = np.cumsum(probs)
    if config.top_p < 1.0:
        keep = 1 + int(np.searchsorted(cumulative[:-1] / cumulative[-1], config.top_p, side="right"))
        cumulative = cumulative[:keep]
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return int(ids[order[min(index, len(cumulative) - 1)]])


def constrained_sample_batch(model: Any, prompt: list[int], grammar: Grammar, state: GrammarState, *,
                             count: int, config: SamplingConfig, rng: Any,
                             max_positions: int | None = None) -> list[list[int]]:
    """`count` independent samples from the same prompt, one lean forward step for all of them.

    `model` is a LeanModel or an HF model (its lean copy is made here, active adapter merged).
    The prompt runs once; rows that are done are fed PAD and ignored; draws are made row by
    row from one seeded numpy generator, so the same seed gives the same candidates.
    """
    import numpy as np

    from .fast_forward import as_lean

    lean = as_lean(model)
    limit = min(max_positions or lean.max_positions, lean.max_positions)
    penalised = set(grammar.pitch_penalty_ids()) if grammar.spec.scale == "soft" else set()
    tables: dict[tuple[int, ...], Choices] = {}

    def choices(allowed: list[int], phase: str) -> Choices:
        key = tuple(allowed)
        found = tables.get(key)
        if found is None:
            if not allowed:
                raise ModelError("the grammar allows no next token")
            penalty = None
            if phase == "pitch" and penalised and config.out_of_key_penalty:
                penalty = np.array([config.out_of_key_penalty if i in penalised else 0.0 for i in allowed])
            found = tables[key] = Choices(ids=np.array(allowed, dtype=np.int64), penalty=penalty)
        return found

    if len(prompt) >= limit:
        raise ModelError(f"the melody needs more than {limit} tokens; ask for fewer bars")
    states = [state] * count
    rows: list[list[int]] = [[] for _ in range(count)]
    position = len(prompt)
    logits, cache = lean.prefill(prompt, rows=count, capacity=limit)
    while True:
        step = []
        for i, row_state in enumerate(states):
            if row_state.phase == "done":
                step.append(lean.pad_id)
                continue
            token = pick(logits[i], choices(grammar.allowed(row_state), row_state.phase), config=config, rng=rng)
            states[i] = grammar.advance(row_state, token, check=False)
            if states[i].phase != "done":
                rows[i].append(token)
            step.append(token)
        if all(s.phase == "done" for s in states):
            break
        if position >= limit:
            raise ModelError(f"the melody needs more than {limit} tokens; ask for fewer bars")
        logits = lean.step(np.array(step), cache, position)
        position += 1
    return rows


def generate_melodies(model: Any, codec: MusicCodec, spec: MelodySpec, *, count: int, style: str | None = None,
                      tempo: int | None = None, seed: int = 0, config: SamplingConfig | None = None,
                      prefix: Melody | None = None) -> list[Sample]:
    """`count` candidate melodies for one request, sampled together in one batch.

    `model` is an HF model (maybe a PeftModel with an active adapter) or a ready LeanModel
    (`lean()` of a `Runtime.session` caches one per adapter; an HF model is converted per call, ~10 ms).
    With `prefix` (a melody of `spec.keep_bars` bars), its notes are kept and the rest is new.
    """
    import numpy as np

    config = config or SamplingConfig()
    grammar = build_grammar(codec, spec)
    prompt = melody_prompt(codec, meter=spec.meter, bars=spec.bars, style=style, key=spec.key, tempo=tempo)
    given = _prefix_ids(codec, spec, prefix)
    started = time.perf_counter()
    rows = constrained_sample_batch(model, prompt + given, grammar, grammar.feed(given), count=count,
                                    config=config, rng=np.random.default_rng(seed))
    seconds = (time.perf_counter() - started) / max(count, 1)
    samples = []
    for new in rows:
        music = given + new
        try:
            melody = codec.decode_melody(music, meter=spec.meter, key=spec.key, tempo=tempo or 100, bars=spec.bars)
        except TokenizationError as err:  # the grammar should make this impossible
            raise ModelError(f"sampled tokens do not decode: {err}") from err
        samples.append(Sample(melody=melody, token_ids=tuple(music), new_tokens=len(new), seconds=seconds, seed=seed))
    return samples


def _prefix_ids(codec: MusicCodec, spec: MelodySpec, prefix: Melody | None) -> list[int]:
    """The token ids of a prefix melody (prefix mode), checked against the spec."""
    if prefix is None:
        if spec.keep_bars:
            raise ModelError("keep_bars needs the prefix melody")
        return []
    if prefix.bars != spec.keep_bars or prefix.meter != spec.meter:
        raise ModelError(f"the prefix has {prefix.bars} bars of {prefix.meter}; "
                         f"the request keeps {spec.keep_bars} bars of {spec.meter}")
    try:
        return codec.ids(codec.encode_melody(prefix))
    except TokenizationError as err:
        raise ModelError(f"cannot continue this melody: {err}") from err
