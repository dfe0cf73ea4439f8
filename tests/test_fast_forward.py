"""The lean forward gives the HF model's logits (base, GQA, active LoRA on attention and on the
tied embeddings/head), and the numpy draw keeps exactly the tokens `filter_logits` keeps."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from tunesmith.finetune.errors import ModelError
from tunesmith.finetune.decode.fast_forward import LeanModel, as_lean, lean_model
from tunesmith.finetune.lora import AdapterConfig, add_adapter
from tunesmith.finetune.model import ModelConfig, build_model, get_preset
from tunesmith.finetune.runtime import Runtime
from tunesmith.finetune.decode.sampling import SamplingConfig, Choices, filter_logits, pick
from tunesmith.tokenization.codec import MusicCodec, default_codec
from tiny_models import randomise_lora

TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def codec() -> MusicCodec:
    return default_codec()


def _model(codec: MusicCodec, config: ModelConfig, seed: int = 0):
    torch.manual_seed(seed)
    return build_model(config, codec.vocab_size, pad_id=codec.pad_id, bos_id=codec.bos_id, eos_id=codec.eos_id).eval()


def _max_error(hf_model, lean: LeanModel, ids: list[int], *, split: int, rows: int = 3) -> float:
    """Largest |logit difference| over the prompt's last position and every stepped position."""
    with torch.inference_mode():
        reference = hf_model(input_ids=torch.tensor([ids])).logits[0].numpy()
    logits, cache = lean.prefill(ids[:split], rows=rows, capacity=len(ids) + 4)
    assert logits.shape == (rows, reference.shape[-1])
    errors = [np.abs(logits - reference[split - 1]).max()]
    for position in range(split, len(ids)):
        logits = lean.step(np.array([ids[position]] * rows), cache, position)
        errors.append(np.abs(logits - reference[position]).max())
    return float(max(errors))


def _ids(codec: MusicCodec, count: int, seed: int) -> list[int]:
    return [codec.bos_id, *np.random.default_rng(seed).integers(3, codec.vocab_size, count - 1).tolist()]


@pytest.mark.parametrize("config", [get_preset("tiny"),
                                    ModelConfig(d_model=64, n_layers=2, n_heads=4, n_kv_heads=2, ff_mult=2.0,
                                                max_positions=128)], ids=["tiny", "gqa"])
def test_base_model_logits_match(codec: MusicCodec, config: ModelConfig) -> None:
    model = _model(codec, config)
    assert _max_error(model, lean_model(model), _ids(codec, 40, 1), split=12) < TOLERANCE
    assert _max_error(model, lean_model(model), _ids(codec, 20, 2), split=6, rows=7) < TOLERANCE  # several rows per matmul


def test_active_lora_adapter_is_merged(codec: MusicCodec) -> None:
    peft_model = add_adapter(_model(codec, get_preset("tiny")), "style", AdapterConfig(r=4, alpha=8, dropout=0.0))
    randomise_lora(peft_model, 3, scale=0.2)
    peft_model.eval()
    ids = _ids(codec, 30, 2)
    lean = lean_model(peft_model)
    assert _max_error(peft_model, lean, ids, split=9) < TOLERANCE
    with peft_model.disable_adapter():  # the merge really changed the weights
        assert _max_error(peft_model, lean, ids, split=9) > 1e-3
        assert _max_error(peft_model, lean_model(peft_model), ids, split=9) < TOLERANCE


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_lora_on_tied_embeddings_and_head(codec: MusicCodec) -> None:
    """The harmony adapter's shape: LoRA on embed_tokens and lm_head, which share one matrix."""
    targets = ("q_proj", "v_proj", "embed_tokens", "lm_head")
    peft_model = add_adapter(_model(codec, get_preset("tiny")), "harm",
                             AdapterConfig(r=4, alpha=8, dropout=0.0, targets=targets))
    randomise_lora(peft_model, 4, scale=0.2)
    peft_model.eval()
    lean = lean_model(peft_model)
    assert not np.allclose(lean.embed, lean.head.T)  # the two deltas differ once merged
    assert _max_error(peft_model, lean, _ids(codec, 25, 5), split=7) < TOLERANCE


def test_runtime_caches_one_lean_copy_per_adapter(codec: MusicCodec) -> None:
    peft_model = add_adapter(_model(codec, get_preset("tiny")), "one", AdapterConfig(r=4, dropout=0.0))
    peft_model.add_adapter("two", peft_model.peft_config["one"])
    randomise_lora(peft_model, 6, scale=0.2)
    runtime = Runtime(directory=Path("."), model=peft_model.eval(), codec=codec, adapters=("one", "two"))
    with runtime.session() as active:  # the first adapter by default
        first = active.lean()
        assert active.adapter == "one" and active.lean() is first and as_lean(first) is first
    with runtime.session("two") as active:
        second = active.lean()
        assert second is not first and not np.allclose(second.layers[0].qkv, first.layers[0].qkv)
        assert _max_error(active.model, second, _ids(codec, 20, 7), split=5) < TOLERANCE
    with runtime.session("one") as active:
        assert active.lean() is first
    with pytest.raises(ModelError):
        active.lean()  # outside its session
    with pytest.raises(ModelError):
        runtime.session("three").__enter__()


def test_cache_limits(codec: MusicCodec) -> None:
    lean = lean_model(_model(codec, get_preset("tiny")))
    with pytest.raises(ModelError):
        lean.prefill(_ids(codec, 10, 0), capacity=8)
    logits, cache = lean.prefill(_ids(codec, 4, 0), capacity=5)
    lean.step(np.array([5]), cache, 4)
    with pytest.raises(ModelError):
        lean.step(np.array([5]), cache, 5)


def test_pick_keeps_what_filter_logits_keeps() -> None:
    rng = np.random.default_rng(0)
    for trial in range(20):
        logits = rng.normal(size=30).astype(np.float32) * 2
        allowed = sorted(rng.choice(30, size=8, replace=False).tolist())
        config = SamplingConfig(temperature=0.8, top_p=0.7, top_k=5 if trial % 2 else 0)
        masked = torch.full((30,), -math.inf)
        masked[allowed] = torch.from_numpy(logits[allowed])
        kept = set(torch.nonzero(~torch.isinf(filter_logits(masked / config.temperature, top_k=config.top_k,
                                                             top_p=config.top_p))).flatten().tolist())
        choices = Choices(ids=np.array(allowed), penalty=None)
        drawn = {pick(logits, choices, config=config, rng=rng) for _ in range(300)}
        assert drawn == kept


def test_pick_penalty_and_single_choice() -> None:
    logits = np.zeros(4, dtype=np.float32)
    penalised = Choices(ids=np.array([1, 2]), penalty=np.array([0.0, 50.0]))
    rng = np.random.default_rng(1)
    assert {pick(logits, penalised, config=SamplingConfig(top_p=1.0), rng=rng) for _ in range(50)} == {1}
    state = rng.bit_generator.state
    assert pick(logits, Choices(ids=np.array([3]), penalty=None), config=SamplingConfig(), rng=rng) == 3
    assert rng.bit_generator.state == state  # a forced token does not use up a random draw
