"""Tiny random models and checkpoints built in code, the same every time (tests/conftest.py wraps
them as fixtures; import them by name where a test needs the model itself)."""

from __future__ import annotations

from pathlib import Path


def build_tiny_model(*, seed: int = 0):
    """A random LlamaForCausalLM of the "tiny" preset over the joint vocabulary, the same for a seed."""
    import torch

    from tunesmith.finetune.model import build_model, get_preset
    from tunesmith.tokenization.codec import default_codec

    torch.manual_seed(seed)
    codec = default_codec()
    return build_model(get_preset("tiny"), codec.vocab_size, pad_id=codec.pad_id, bos_id=codec.bos_id,
                       eos_id=codec.eos_id)


def save_tiny_checkpoint(folder: Path, *, half: bool = True) -> Path:
    """A random tiny base saved like the shipped one (fp16 unless `half=False`: tests that train
    an adapter on it keep the fp32 weights); the folder is returned."""
    from tunesmith.finetune.model import get_preset, save_model
    from tunesmith.tokenization.codec import default_codec

    return save_model(build_tiny_model(), default_codec(), folder, config=get_preset("tiny"), half=half)


def randomise_lora(model, seed: int, *, scale: float) -> None:
    """Fresh LoRA B matrices are zero (a no-op adapter); give every LoRA weight values, so a test
    comparing adapted outputs can fail."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * scale)
