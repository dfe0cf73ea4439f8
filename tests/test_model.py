"""Model config, build, save (fp16) and load (fp32, offline) with the codec beside it."""

from __future__ import annotations

import doctest

import pytest
import torch

from tunesmith.finetune import model as model_module
from tunesmith.finetune.errors import ModelError
from tunesmith.finetune.model import MODEL_CONFIG_FILE, ModelConfig, build_model, count_parameters, get_preset, load_model, read_model_config, save_model
from tunesmith.tokenization.codec import MusicCodec, default_codec


@pytest.fixture(scope="module")
def codec() -> MusicCodec:
    return default_codec()


def test_config_validation() -> None:
    with pytest.raises(ModelError):
        ModelConfig(d_model=100, n_heads=3)
    with pytest.raises(ModelError):
        ModelConfig(n_heads=4, n_kv_heads=3)
    with pytest.raises(ModelError):
        ModelConfig(dropout=1.5)
    with pytest.raises(ModelError, match="unknown model size"):
        get_preset("huge")
    assert ModelConfig.from_dict({"d_model": 64, "n_heads": 2, "n_kv_heads": 2, "unknown": 1}).d_model == 64


def test_build_ties_embeddings_and_counts_once(codec: MusicCodec) -> None:
    model = build_model(get_preset("tiny"), codec.vocab_size, pad_id=codec.pad_id, bos_id=codec.bos_id,
                        eos_id=codec.eos_id)
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    params = count_parameters(model)
    assert params == sum(p.numel() for p in model.parameters())  # parameters() already de-duplicates
    assert params < sum(t.numel() for t in model.state_dict().values())  # the tied matrix appears twice there
    out = model(input_ids=torch.tensor([[codec.bos_id, codec.music_id]]))
    assert out.logits.shape == (1, 2, codec.vocab_size)


def test_save_half_and_load_back_as_float(tmp_path, codec: MusicCodec) -> None:
    torch.manual_seed(0)
    model = build_model(get_preset("tiny"), codec.vocab_size, pad_id=codec.pad_id, bos_id=codec.bos_id,
                        eos_id=codec.eos_id).eval()
    folder = save_model(model, codec, tmp_path / "m", config=get_preset("tiny"), extra={"seed": 3})
    assert {"model.safetensors", "config.json", "vocab.json", "miditok.json", MODEL_CONFIG_FILE} <= {
        p.name for p in folder.iterdir()}
    weights = (folder / "model.safetensors").stat().st_size
    assert weights < count_parameters(model) * 2 + 100_000  # stored as fp16
    loaded, loaded_codec = load_model(folder)
    assert next(loaded.parameters()).dtype == torch.float32
    assert loaded_codec.vocab.tokens == codec.vocab.tokens
    assert read_model_config(folder) == get_preset("tiny")
    ids = torch.tensor([[codec.bos_id, codec.music_id, codec.token_to_id("Bar_None")]])
    with torch.no_grad():
        torch.testing.assert_close(loaded(input_ids=ids).logits, model(input_ids=ids).logits, atol=2e-2, rtol=0)


def test_load_refuses_a_folder_that_is_not_a_model(tmp_path) -> None:
    with pytest.raises(ModelError, match="not a tunesmith model folder"):
        load_model(tmp_path)


def test_doctests() -> None:
    result = doctest.testmod(model_module)
    assert result.failed == 0 and result.attempted > 0
