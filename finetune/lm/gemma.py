"""Gemma 3's text decoder for drafting only: the same maths as transformers' model, none of its weight.

Loading transformers' Gemma classes costs ~5 s of imports per command, and its forward spends a
short step in wrappers (output capture, mask builders, cache objects) more than in arithmetic.
`GemmaBody` holds the decoder's weights in plain torch modules (int8 linear layers when
quantized) and runs one step in a few dozen ops; the saved lean file unpickles it with torch
alone.  `from_hf` copies a loaded HF model (LoRA already merged); the hidden states match
transformers' within float error (tests/test_gemma_body.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from .modules import HalfEmbedding


@dataclass(frozen=True, slots=True)
class GemmaShape:
    """The config numbers the forward needs (read from the HF config once)."""

    heads: int
    kv_heads: int
    head_dim: int
    eps: float
    scale: float  # query_pre_attn_scalar ** -0.5
    window: int  # sliding-window length of the local layers
    sliding: tuple[bool, ...]  # per layer: local (sliding) attention or global
    rope_local: float
    rope_global: float
    softcap: float | None = None  # final logit soft-capping (none in Gemma 3)


class KVCache:
    """Keys and values per layer, (batch, kv_heads, length, head_dim), grown by concatenation
    (a verse's prompts and lines are a few hundred tokens: copying them is cheaper than a
    preallocated buffer's bookkeeping)."""

    def __init__(self, layers: int) -> None:
        self.keys: list[torch.Tensor | None] = [None] * layers
        self.values: list[torch.Tensor | None] = [None] * layers

    @property
    def length(self) -> int:
        return 0 if self.keys[0] is None else int(self.keys[0].shape[2])

    def append(self, layer: int, key: torch.Tensor, value: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.keys[layer] is not None:
            key = torch.cat((self.keys[layer], key), dim=2)
            value = torch.cat((self.values[layer], value), dim=2)
        self.keys[layer], self.values[layer] = key, value
        return key, value

    def repeat(self, count: int) -> None:
        """One copy of a batch-1 cache per candidate."""
        self.keys = [k.expand(count, -1, -1, -1).contiguous() for k in self.keys]
        self.values = [v.expand(count, -1, -1, -1).contiguous() for v in self.values]

    def select(self, rows: list[int]) -> None:
        """Keep the batch rows `rows` (candidates that finished leave the batch)."""
        index = torch.tensor(rows, dtype=torch.long)
        self.keys = [k.index_select(0, index) for k in self.keys]
        self.values = [v.index_select(0, index) for v in self.values]

    def copy(self) -> KVCache:
        twin = KVCache(len(self.keys))
        twin.keys, twin.values = list(self.keys), list(self.values)  # tensors are never written in place
        return twin


class GemmaLayer(torch.nn.Module):
    """One decoder block: pre/post norms around attention and the gated-GELU MLP."""

    def __init__(self, hf_layer: Any) -> None:
        super().__init__()
        attn, mlp = hf_layer.self_attn, hf_layer.mlp
        self.qkv = _linear(attn.q_proj, attn.k_proj, attn.v_proj)  # one matmul instead of three
        self.o = _linear(attn.o_proj)
        self.gate_up = _linear(mlp.gate_proj, mlp.up_proj)
        self.down = _linear(mlp.down_proj)
        for name, norm in (("n_in", hf_layer.input_layernorm), ("n_attn", hf_layer.post_attention_layernorm),
                           ("n_pre", hf_layer.pre_feedforward_layernorm), ("n_post", hf_layer.post_feedforward_layernorm),
                           ("n_q", attn.q_norm), ("n_k", attn.k_norm)):
            self.register_buffer(name, 1.0 + norm.weight.detach().float().clone())


class GemmaBody(torch.nn.Module):
    """The decoder (embedding to final norm); `forward` returns the last position's hidden state."""

    def __init__(self, *, shape: GemmaShape, embed: HalfEmbedding, layers: list[GemmaLayer],
                 norm: torch.Tensor) -> None:
        super().__init__()
        self.shape, self.embed, self.layers = shape, embed, torch.nn.ModuleList(layers)
        self.register_buffer("norm", norm)
        dim = shape.head_dim
        self.qkv_sizes = (shape.heads * dim, shape.kv_heads * dim, shape.kv_heads * dim)
        for name, base in (("inv_local", shape.rope_local), ("inv_global", shape.rope_global)):
            self.register_buffer(name, 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float) / dim)))

    @classmethod
    def from_hf(cls, model: Any, *, embed_dtype: torch.dtype = torch.bfloat16) -> GemmaBody:
        """A copy of a transformers Gemma 3 causal LM's decoder: fp32 linears (see `quantize`), the
        input embedding in `embed_dtype` (bf16 halves the 262k-row table, which is only looked up)."""
        config, body = model.config, model.get_decoder()
        rope = config.rope_parameters
        shape = GemmaShape(heads=config.num_attention_heads, kv_heads=config.num_key_value_heads,
                           head_dim=config.head_dim, eps=float(config.rms_norm_eps),
                           scale=float(config.query_pre_attn_scalar) ** -0.5, window=int(config.sliding_window),
                           sliding=tuple(t == "sliding_attention" for t in config.layer_types),
                           rope_local=float(rope["sliding_attention"]["rope_theta"]),
                           rope_global=float(rope["full_attention"]["rope_theta"]),
                           softcap=getattr(config, "final_logit_softcapping", None))
        old = body.embed_tokens
        embed = HalfEmbedding(old.weight.detach().to(embed_dtype), float(getattr(old, "embed_scale", 1.0)))
        return cls(shape=shape, embed=embed, layers=[GemmaLayer(layer) for layer in body.layers],
                   norm=1.0 + body.norm.weight.detach().float().clone())

    def quantize(self) -> GemmaBody:
        """int8 per-output-channel weights with dynamic activations for every linear layer, in place."""
        import warnings

        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        with warnings.catch_warnings():  # torch.ao's notice that torchao is the future
            warnings.simplefilter("ignore")
            quantize_dynamic(self.layers, {torch.nn.Linear: per_channel_dynamic_qconfig}, inplace=True)
        return self

    @property
    def softcap(self) -> float | None:
        return self.shape.softcap

    @property
    def output_weight(self) -> torch.Tensor:
        return self.embed.weight  # tied: the drafter copies the rows it needs

    def new_cache(self) -> KVCache:
        return KVCache(len(self.layers))

    def forward(self, ids: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """Hidden state (batch, d) after the last of `ids` (batch, new), extending `cache`."""
        shape = self.shape
        batch, new = ids.shape
        start = cache.length
        positions = torch.arange(start, start + new, dtype=torch.float)
        ropes = {local: _rope(positions, self.inv_local if local else self.inv_global) for local in (True, False)}
        masks = {local: _mask(start, new, shape.window if local else None) for local in (True, False)}
        x = self.embed(ids)
        for index, layer in enumerate(self.layers):
            local = shape.sliding[index]
            h = _rms(x, layer.n_in, shape.eps)
            q, k, v = layer.qkv(h).split(self.qkv_sizes, dim=-1)
            q = _rms(q.view(batch, new, shape.heads, shape.head_dim), layer.n_q, shape.eps)
            k = _rms(k.view(batch, new, shape.kv_heads, shape.head_dim), layer.n_k, shape.eps)
            v = v.view(batch, new, shape.kv_heads, shape.head_dim)
            cos, sin = ropes[local]
            q, k = _rotate(q.transpose(1, 2), cos, sin), _rotate(k.transpose(1, 2), cos, sin)
            keys, values = cache.append(index, k, v.transpose(1, 2))
            mask = masks[local]
            if local and mask is None and keys.shape[2] > shape.window:  # one new token: the last `window` keys
                keys, values = keys[:, :, -shape.window:], values[:, :, -shape.window:]
            attn = torch.nn.functional.scaled_dot_product_attention(
                q, keys, values, attn_mask=mask, scale=shape.scale, enable_gqa=shape.heads != shape.kv_heads)
            x = x + _rms(layer.o(attn.transpose(1, 2).reshape(batch, new, -1)), layer.n_attn, shape.eps)
            h = _rms(x, layer.n_pre, shape.eps)
            gate, up = layer.gate_up(h).chunk(2, dim=-1)
            h = layer.down(torch.nn.functional.gelu(gate, approximate="tanh") * up)
            x = x + _rms(h, layer.n_post, shape.eps)
        return _rms(x[:, -1, :], self.norm, shape.eps)


def _linear(*layers: torch.nn.Linear) -> torch.nn.Linear:
    """A copy of `layers` stacked into one (their outputs side by side); Gemma's have no bias."""
    if any(layer.bias is not None for layer in layers):
        raise ValueError("GemmaBody expects linear layers without bias")
    weight = torch.cat([layer.weight.detach().float() for layer in layers], dim=0)
    copy = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=False)
    with torch.no_grad():
        copy.weight.copy_(weight)
    return copy.eval().requires_grad_(False)


def _rms(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def _rope(positions: torch.Tensor, inv_freq: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    freqs = positions[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return x * cos + torch.cat((-x[..., half:], x[..., :half]), dim=-1) * sin


def _mask(start: int, new: int, window: int | None) -> torch.Tensor | None:
    """Which keys each new query sees (causal, and within `window` for local layers); None for
    one new token, whose keys the caller trims to the window."""
    if new == 1:
        return None
    query = torch.arange(start, start + new)[:, None]
    key = torch.arange(start + new)[None, :]
    seen = key <= query
    if window is not None:
        seen &= key > query - window
    return seen
