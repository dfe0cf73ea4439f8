"""GemmaBody (finetune/lm/gemma.py) computes what transformers' Gemma 3 computes, on a tiny model."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from tiny_lm import tiny_gemma  # noqa: E402

from tunesmith.finetune.lm.gemma import GemmaBody  # noqa: E402


def _model(seed: int = 0):
    model = tiny_gemma(64, seed=seed)
    with torch.no_grad():  # non-zero norm weights, so (1 + w) is exercised
        for name, param in model.named_parameters():
            if "norm" in name:
                param.normal_(0.0, 0.3)
    return model


def _hf_hidden(model, ids, cache):
    return model.get_decoder()(input_ids=ids, cache=cache, use_cache=True).last_hidden_state[:, -1, :]


def _pair(seed: int = 0):
    from transformers import DynamicCache

    model = _model(seed)
    body = GemmaBody.from_hf(model, embed_dtype=torch.float32)
    return model, body, DynamicCache(config=model.config), body.new_cache()


@pytest.mark.parametrize("prompt_len", [5, 40])  # 40 > the sliding window (16): the local mask matters
def test_prefill_and_steps_match_transformers(prompt_len: int) -> None:
    model, body, hf_cache, cache = _pair()
    gen = torch.Generator().manual_seed(1)
    ids = torch.randint(4, 64, (1, prompt_len), generator=gen)
    with torch.inference_mode():
        assert torch.allclose(_hf_hidden(model, ids, hf_cache), body(ids, cache), atol=1e-4)
        for _ in range(25):  # past the window one token at a time
            step = torch.randint(4, 64, (1, 1), generator=gen)
            assert torch.allclose(_hf_hidden(model, step, hf_cache), body(step, cache), atol=1e-4)
    assert cache.length == prompt_len + 25


def test_batch_rows_are_independent_and_select_keeps_rows() -> None:
    _, body, _, cache = _pair()
    prompt = torch.tensor([[5, 6, 7, 8]])
    steps = torch.tensor([[9], [10], [11]])
    with torch.inference_mode():
        body(prompt, cache)
        batch = cache.copy()
        batch.repeat(3)
        together = body(steps, batch)
        for row in range(3):
            alone = cache.copy()
            assert torch.allclose(body(steps[row:row + 1], alone)[0], together[row], atol=1e-5)
        batch.select([2, 0])
        after = body(torch.tensor([[12], [13]]), batch)
        for row, first in ((0, 11), (1, 9)):
            alone = cache.copy()
            body(torch.tensor([[first]]), alone)
            assert torch.allclose(body(torch.tensor([[12 + row]]), alone)[0], after[row], atol=1e-5)


def test_copy_does_not_share_growth() -> None:
    _, body, _, cache = _pair()
    with torch.inference_mode():
        body(torch.tensor([[5, 6]]), cache)
        twin = cache.copy()
        body(torch.tensor([[7]]), twin)
    assert (cache.length, twin.length) == (2, 3)


def test_int8_body_stays_close_and_survives_saving(tmp_path) -> None:
    model = _model()
    exact = GemmaBody.from_hf(model, embed_dtype=torch.float32)
    small = GemmaBody.from_hf(model).quantize()
    ids = torch.tensor([[5, 9, 13, 17, 21, 25]])
    with torch.inference_mode():
        a, b = exact(ids, exact.new_cache()), small(ids, small.new_cache())
        assert torch.nn.functional.cosine_similarity(a, b).item() > 0.98
        torch.save(small, tmp_path / "lean.pt")
        again = torch.load(tmp_path / "lean.pt", weights_only=False)
        assert torch.equal(again(ids, again.new_cache()), b)
    assert sum(isinstance(m, torch.nn.Linear) for m in small.modules()) == 0  # every linear is int8


def test_lean_lm_over_the_body_is_seeded() -> None:
    from tiny_lm import tiny_tokenizer

    from tunesmith.finetune.lm.lean import LeanLM

    tokenizer = tiny_tokenizer()
    lean = LeanLM(GemmaBody.from_hf(tiny_gemma(len(tokenizer))).quantize(), tokenizer, threads=1, int8_head=True)
    rows = frozenset(range(4, len(tokenizer)))
    prompt = lean.encode("Song lyrics\n")
    runs = [lean.sample(prompt, allowed=lambda k, toks: rows if len(toks) < 4 + k else frozenset({4}), rows=rows,
                        end=4, count=3, max_new=8, seed=7) for _ in range(2)]
    assert runs[0] == runs[1]
    assert [len(d.tokens) for d in runs[0]] == [4, 5, 6] and all(d.finished for d in runs[0])


def test_int8_heads_are_kept_between_processes_and_give_the_same_logits(tmp_path) -> None:
    from tiny_lm import tiny_tokenizer

    from tunesmith.finetune.lm.lean import LeanLM

    tokenizer = tiny_tokenizer()
    body = GemmaBody.from_hf(tiny_gemma(len(tokenizer))).quantize()
    rows = frozenset(range(4, len(tokenizer), 2))
    first = LeanLM(body, tokenizer, threads=1, int8_head=True, head_cache=tmp_path / "lean-x")
    layer, positions = first.head(rows)
    kept = sorted(tmp_path.glob("lean-x-head-*.pt"))
    assert len(kept) == 1
    again = LeanLM(body, tokenizer, threads=1, int8_head=True, head_cache=tmp_path / "lean-x")
    again.weight = None  # a kept head must not need the embedding
    loaded, positions_again = again.head(rows)
    hidden = torch.randn(3, body.output_weight.shape[1])
    assert torch.equal(layer(hidden), loaded(hidden)) and (positions == positions_again).all()
    kept[0].write_bytes(b"not a tensor file")  # a damaged file is rebuilt, not an error
    third = LeanLM(body, tokenizer, threads=1, int8_head=True, head_cache=tmp_path / "lean-x")
    assert torch.equal(third.head(rows)[0](hidden), layer(hidden))
    assert LeanLM(body, tokenizer, threads=1, head_cache=tmp_path / "fp").head(rows) and not list(tmp_path.glob("fp*"))
