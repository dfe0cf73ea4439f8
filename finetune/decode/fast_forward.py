"""A lean inference forward pass for the small Llama: plain numpy ops over copied weights.

For a 2 M-parameter model the HF forward spends most of its ~2 ms per token in Python
(module calls, cache objects, masks, peft wrappers), not in arithmetic.  `LeanModel` runs the
same maths with about thirty array ops per layer: the active LoRA adapters are merged into
weight copies once (`lean_model(model)` reads whatever adapter is active), Q, K and V come
from one fused matmul (the attention scale folded into Q), keys/values go into a
preallocated cache.  Everything runs on numpy (per op ~1 us instead of torch's ~4 us), prompts
included (`extend`: many positions per matmul), so sampling needs no torch at all: with the
merged weights exported once (lean_store.py) a command never imports torch, transformers or
peft.  numpy's OpenBLAS must run on one thread (`set_blas_threads`): on the project's busy
2-core machine its threaded matmuls of 8 rows and more were several times slower than on one
thread, as torch's were (eval/bench_sampling.py measures the steps).  The logits match the HF model's within 1e-4 (tests/test_fast_forward.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    import torch



@dataclass(frozen=True)
class LeanLayer:
    """One transformer block's weights as float32 numpy arrays, laid out (in, out) for x @ W."""

    attn_norm: np.ndarray  # (d,)
    qkv: np.ndarray  # (d, (Hq + 2*Hkv) * hd): [q * hd**-0.5, k, v]
    out: np.ndarray  # (Hq*hd, d)
    mlp_norm: np.ndarray  # (d,)
    gate_up: np.ndarray  # (d, 2*ff)
    down: np.ndarray  # (ff, d)


@dataclass(frozen=True)
class LeanCache:
    """Keys and values of every layer for `rows` sequences, preallocated to `capacity` tokens."""

    keys: tuple[np.ndarray, ...]  # each (rows, Hkv, capacity, hd)
    values: tuple[np.ndarray, ...]

    @property
    def capacity(self) -> int:
        return int(self.keys[0].shape[2])


@dataclass(frozen=True)
class LeanModel:
    """The merged weights and RoPE tables; `prefill` then `step` give next-token logits (numpy)."""

    embed: np.ndarray  # (V, d)
    head: np.ndarray  # (d, V)
    norm: np.ndarray  # (d,)
    layers: tuple[LeanLayer, ...]
    cos: np.ndarray  # (max_positions, hd)
    sin: np.ndarray
    n_heads: int
    n_kv_heads: int
    head_dim: int
    eps: float
    pad_id: int

    @property
    def max_positions(self) -> int:
        return int(self.cos.shape[0])

    def new_cache(self, rows: int, capacity: int) -> LeanCache:
        if not 0 < capacity <= self.max_positions:
            raise ModelError(f"a cache of {capacity} tokens does not fit the model's {self.max_positions} positions")
        shape = (rows, self.n_kv_heads, capacity, self.head_dim)
        return LeanCache(keys=tuple(np.zeros(shape, np.float32) for _ in self.layers),
                         values=tuple(np.zeros(shape, np.float32) for _ in self.layers))

    def prefill(self, prompt: list[int], *, rows: int = 1, capacity: int | None = None) -> tuple[np.ndarray, LeanCache]:
        """Run the prompt once (causal attention) and copy its keys/values into a cache for `rows`
        sequences.  Returns the last position's logits for every row, shape (rows, V)."""
        length = len(prompt)
        cache = self.new_cache(rows, capacity or self.max_positions)
        if not 0 < length <= cache.capacity:
            raise ModelError(f"a prompt of {length} tokens does not fit {cache.capacity} positions")
        last = self.extend(prompt, cache, 0, last_only=True)
        for keys, values in zip(cache.keys, cache.values):
            keys[1:, :, :length] = keys[0, :, :length]
            values[1:, :, :length] = values[0, :, :length]
        return np.repeat(last, rows, axis=0), cache

    def extend(self, tokens: list[int], cache: LeanCache, start: int, *, last_only: bool = False) -> np.ndarray:
        """Feed `tokens` at positions start, start+1, ... of the cache's first row, each attending to
        every position up to its own.  Returns the logits of each new position (n, V), or of the
        last one only (1, V).  Many rows at once, so a long prompt is a few big matmuls."""
        n, end = len(tokens), start + len(tokens)
        if not n or start < 0 or end > cache.capacity:
            raise ModelError(f"positions {start}-{end} do not fit the cache's {cache.capacity} tokens")
        hkv, group, hd = self.n_kv_heads, self.n_heads // self.n_kv_heads, self.head_dim
        x = self.embed[np.asarray(tokens, dtype=np.int64)]  # (n, d)
        cos, sin = self.cos[start:end, None], self.sin[start:end, None]
        future = np.triu(np.ones((n, end), dtype=bool), k=start + 1)  # query i sees keys 0..start+i
        for layer, keys, values in zip(self.layers, cache.keys, cache.values):
            q, k, v = self._qkv(layer, x, cos, sin)
            keys[0, :, start:end] = k.transpose(1, 0, 2)
            values[0, :, start:end] = v.transpose(1, 0, 2)
            q = q.reshape(n, hkv, group, hd).transpose(1, 2, 0, 3)  # (Hkv, g, n, hd)
            scores = q @ keys[0, :, None, :end].transpose(0, 1, 3, 2)  # (Hkv, g, n, end)
            scores = _softmax(np.where(future, -np.inf, scores))
            attn = (scores @ values[0, :, None, :end]).transpose(2, 0, 1, 3).reshape(n, -1)
            x = self._finish(layer, x, attn)
        if last_only:
            x = x[-1:]
        return _rms(x, self.norm, self.eps) @ self.head

    def step(self, tokens: np.ndarray, cache: LeanCache, position: int) -> np.ndarray:
        """Logits (rows, V) after feeding one token per row at `position` (0-based)."""
        if position >= cache.capacity:
            raise ModelError(f"position {position} is past the cache's {cache.capacity} tokens")
        rows = len(tokens)
        hkv, group, hd = self.n_kv_heads, self.n_heads // self.n_kv_heads, self.head_dim
        x = self.embed[tokens]  # (rows, d)
        cos, sin = self.cos[position], self.sin[position]
        seen = position + 1
        for layer, keys, values in zip(self.layers, cache.keys, cache.values):
            q, k, v = self._qkv(layer, x, cos, sin)
            keys[:, :, position] = k
            values[:, :, position] = v
            q = q.reshape(rows, hkv, group, hd)
            scores = _softmax(q @ keys[:, :, :seen].transpose(0, 1, 3, 2))  # (rows, Hkv, g, T)
            attn = (scores @ values[:, :, :seen]).reshape(rows, -1)
            x = self._finish(layer, x, attn)
        return _rms(x, self.norm, self.eps) @ self.head

    def _qkv(self, layer: LeanLayer, x: np.ndarray, cos: np.ndarray, sin: np.ndarray):
        """Q (n, Hq, hd), K and V (n, Hkv, hd) for n positions or rows, RoPE applied to Q and K."""
        n, hd, half = x.shape[0], self.head_dim, self.head_dim // 2
        heads = self.n_heads + self.n_kv_heads
        fused = _rms(x, layer.attn_norm, self.eps) @ layer.qkv
        qk = fused[:, : heads * hd].reshape(n, heads, hd)
        rotated = np.concatenate((-qk[..., half:], qk[..., :half]), axis=-1)
        qk = qk * cos + rotated * sin
        v = fused[:, heads * hd:].reshape(n, self.n_kv_heads, hd)
        return qk[:, : self.n_heads], qk[:, self.n_heads:], v

    def _finish(self, layer: LeanLayer, x: np.ndarray, attn: np.ndarray) -> np.ndarray:
        """Output projection, residual, SwiGLU MLP, residual."""
        x = x + attn @ layer.out
        gate_up = _rms(x, layer.mlp_norm, self.eps) @ layer.gate_up
        gate, up = gate_up[:, : gate_up.shape[1] // 2], gate_up[:, gate_up.shape[1] // 2:]
        return x + (gate * (0.5 + 0.5 * np.tanh(0.5 * gate)) * up) @ layer.down  # SiLU without overflow


def set_blas_threads(threads: int) -> None:
    """Run numpy's BLAS on `threads` threads from now on, for the whole process (the lean forward's
    matmuls are small: one thread is fastest, see the module's note); 0 leaves it as it is."""
    if threads > 0:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads, user_api="blas")


def _rms(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    return x * (1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)) * weight


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return scores / scores.sum(axis=-1, keepdims=True)


# ---- from an HF (or peft-wrapped) Llama ---------------------------------------------------------
def effective_weight(module: Any) -> torch.Tensor:
    """The weight a (possibly LoRA-wrapped) Linear or Embedding uses in its forward, adapters merged.

    Only plain LoRA is supported (no DoRA, no LoRA bias, no biases); anything else is refused
    rather than silently computed differently.
    """
    import torch

    base = getattr(module, "base_layer", None)
    if base is None:
        if getattr(module, "bias", None) is not None:
            raise ModelError("the lean forward does not support biases")
        return module.weight.detach().float()
    weight = base.weight.detach().float().clone()
    if getattr(module, "disable_adapters", False) or getattr(module, "merged", False):
        return weight
    for name in module.active_adapters:
        known = set(getattr(module, "lora_A", {})) | set(getattr(module, "lora_embedding_A", {}))
        if name not in known:
            continue
        if getattr(module, "use_dora", {}).get(name) or getattr(module, "lora_bias", {}).get(name):
            raise ModelError(f"adapter {name!r} uses DoRA or a LoRA bias; the lean forward supports plain LoRA")
        with torch.no_grad():
            weight += module.get_delta_weight(name).detach().float()
    return weight


def _array(weight: torch.Tensor, *, transpose: bool = False) -> np.ndarray:
    """A float32 numpy copy of a weight, (out, in) -> (in, out) with transpose=True."""
    array = weight.detach().float().cpu().numpy()
    return np.ascontiguousarray(array.T if transpose else array, dtype=np.float32)


def lean_model(model: Any) -> LeanModel:
    """A LeanModel with the weights `model` (a LlamaForCausalLM, maybe a PeftModel) uses right now."""
    import torch

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = base.config
    if getattr(config, "model_type", None) != "llama":
        raise ModelError(f"the lean forward supports Llama models, not {getattr(config, 'model_type', '?')}")
    rope = getattr(config, "rope_parameters", None) or {"rope_type": "default", "rope_theta": config.rope_theta}
    if rope.get("rope_type", "default") != "default" or config.hidden_act != "silu":
        raise ModelError("the lean forward supports default RoPE and SiLU only")
    n_heads, n_kv = config.num_attention_heads, config.num_key_value_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // n_heads
    layers = []
    with torch.no_grad():
        for block in base.model.layers:
            attn, mlp = block.self_attn, block.mlp
            qkv = torch.cat((effective_weight(attn.q_proj) * head_dim ** -0.5, effective_weight(attn.k_proj),
                             effective_weight(attn.v_proj)))
            layers.append(LeanLayer(
                attn_norm=_array(block.input_layernorm.weight), qkv=_array(qkv, transpose=True),
                out=_array(effective_weight(attn.o_proj), transpose=True),
                mlp_norm=_array(block.post_attention_layernorm.weight),
                gate_up=_array(torch.cat((effective_weight(mlp.gate_proj), effective_weight(mlp.up_proj))),
                               transpose=True),
                down=_array(effective_weight(mlp.down_proj), transpose=True)))
        inv_freq = 1.0 / (rope["rope_theta"] ** (torch.arange(0, head_dim, 2, dtype=torch.float) / head_dim))
        freqs = torch.arange(config.max_position_embeddings, dtype=torch.float)[:, None] * inv_freq
        angles = torch.cat((freqs, freqs), dim=-1)
        return LeanModel(
            embed=_array(effective_weight(base.model.embed_tokens)),
            head=_array(effective_weight(base.lm_head), transpose=True), norm=_array(base.model.norm.weight),
            layers=tuple(layers), cos=_array(angles.cos()), sin=_array(angles.sin()), n_heads=n_heads,
            n_kv_heads=n_kv, head_dim=head_dim, eps=float(config.rms_norm_eps), pad_id=int(config.pad_token_id or 0))


def as_lean(model: Any) -> LeanModel:
    """`model` itself when it is already lean, else its lean copy with the active adapter merged."""
    return model if isinstance(model, LeanModel) else lean_model(model)
