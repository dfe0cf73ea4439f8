"""Small torch modules of the lean LM (their own module so a saved lean model unpickles anywhere)."""

from __future__ import annotations

import torch


class HalfEmbedding(torch.nn.Module):
    """An input embedding stored in bf16 that returns fp32 vectors, scaled as Gemma's is (sqrt(d)):
    half the memory of the 262k-row table, which is only looked up."""

    def __init__(self, weight: torch.Tensor, scale: float) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(weight, requires_grad=False)
        self.scale = scale

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.embedding(ids, self.weight).float() * self.scale
