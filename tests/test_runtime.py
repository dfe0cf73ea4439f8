"""Runtime sessions, the only way to use an adapter: threads through different adapters do not
cross, nested sessions switch back, and nothing is usable outside its session."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from tunesmith.finetune.decode.constraints import MelodySpec
from tunesmith.finetune.decode.sampling import generate_melodies
from tunesmith.finetune.errors import ModelError
from tunesmith.finetune.lora import AdapterConfig, add_adapter
from tunesmith.finetune.runtime import Runtime
from tunesmith.finetune.text.adapter import generate_text
from tunesmith.tokenization.codec import default_codec
from tunesmith.tokenization.music import KeySpec, Meter

from tiny_models import build_tiny_model

SPEC = MelodySpec(bars=2, meter=Meter(4, 4), key=KeySpec("G"), scale="strict", low=55, high=79)


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    """A tiny model with two LoRA adapters whose weights differ (fresh LoRA B matrices are zero)."""
    model = add_adapter(build_tiny_model(), "one", AdapterConfig(r=4, dropout=0.0))
    model.add_adapter("two", model.peft_config["one"])
    generator = torch.Generator().manual_seed(6)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.5)
    return Runtime(directory=Path("."), model=model.eval(), codec=default_codec(), adapters=("one", "two"))


def _generate(runtime: Runtime, adapter: str, seed: int) -> tuple[str, str, tuple]:
    """(the adapter active at the end of the session, free text from the HF model, a melody from the
    lean copy): the text reads the active adapter at every token, so a switch midway would show."""
    with runtime.session(adapter) as active:
        text = generate_text(active.model, active.codec, task="chat", prompt="hello", max_new_tokens=24,
                             temperature=1.0, seed=seed)
        melody = generate_melodies(active.lean(), active.codec, SPEC, count=1, seed=seed)[0].melody
        return active.model.active_adapter, text, melody.notes


def test_two_threads_through_different_adapters_do_not_cross(runtime: Runtime) -> None:
    seeds = range(3)
    alone = {(adapter, seed): _generate(runtime, adapter, seed) for adapter in ("one", "two") for seed in seeds}
    assert all(alone[adapter, seed][0] == adapter for adapter, seed in alone)
    assert all(alone["one", seed][1:] != alone["two", seed][1:] for seed in seeds)  # a crossing would show
    start = threading.Barrier(2)

    def worker(adapter: str) -> list[tuple[str, str, tuple]]:
        start.wait()
        return [_generate(runtime, adapter, seed) for _ in range(3) for seed in seeds]

    with ThreadPoolExecutor(max_workers=2) as pool:
        together = dict(zip(("one", "two"), pool.map(worker, ("one", "two"))))
    for adapter, results in together.items():
        assert results == [alone[adapter, seed] for _ in range(3) for seed in seeds]


def test_sessions_nest_and_default_to_the_first_adapter(runtime: Runtime) -> None:
    with runtime.session() as outer:
        assert outer.adapter == "one" and outer.model.active_adapter == "one"
        with runtime.session("two") as inner:
            assert inner.model.active_adapter == "two"
            two = inner.lean()
        assert outer.model.active_adapter == "one" and outer.lean() is not two
    with pytest.raises(ModelError, match="no adapter named 'three'"):
        with runtime.session("three"):
            pass


def test_nothing_is_usable_outside_its_session(runtime: Runtime) -> None:
    with runtime.session("two") as active:
        active.lean()
    with pytest.raises(ModelError, match="outside its runtime session"):
        active.lean()
    failed: list[BaseException] = []
    with runtime.session("two") as active:  # another thread cannot borrow it while this one holds it

        def borrow() -> None:
            try:
                active.lean()
            except ModelError as err:
                failed.append(err)

        other = threading.Thread(target=borrow)
        other.start()
        other.join()
    assert len(failed) == 1
