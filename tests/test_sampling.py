"""Constrained sampling: logit masks on fake logits, and a tiny random model that must always
produce valid melodies with the exact bar count and range."""

from __future__ import annotations

import math

import pytest
import torch

from tunesmith.finetune.decode.constraints import MelodySpec, scale_pitch_classes
from tunesmith.tokenization.music import slice_bars
from tunesmith.finetune.errors import ModelError
from tunesmith.finetune.decode.sampling import SamplingConfig, draw, filter_logits, generate_melody, mask_logits, melody_prompt
from tunesmith.tokenization.codec import MusicCodec, default_codec
from tunesmith.tokenization.music import KeySpec, Meter

from tiny_models import build_tiny_model


@pytest.fixture(scope="module")
def codec() -> MusicCodec:
    return default_codec()


@pytest.fixture(scope="module")
def model():
    return build_tiny_model().eval()


def test_mask_keeps_only_allowed_and_penalises() -> None:
    logits = torch.tensor([1.0, 5.0, 2.0, 3.0])
    out = mask_logits(logits, [0, 2, 3], penalised=[3], penalty=2.5)
    assert out[1] == -math.inf and out[0] == 1.0 and out[2] == 2.0 and out[3] == 0.5
    assert logits[1] == 5.0  # the input is not modified
    with pytest.raises(ModelError):
        mask_logits(logits, [])


def test_top_k_and_top_p() -> None:
    logits = torch.log(torch.tensor([0.5, 0.3, 0.15, 0.05]))
    assert torch.isinf(filter_logits(logits, top_k=2)).tolist() == [False, False, True, True]
    # 0.5 + 0.3 = 0.8 < 0.85, so the third token is needed to cross 0.85
    assert torch.isinf(filter_logits(logits, top_p=0.85)).tolist() == [False, False, False, True]
    assert torch.isinf(filter_logits(logits, top_p=0.1)).tolist() == [False, True, True, True]


def test_draw_is_seeded_and_never_picks_masked() -> None:
    logits = mask_logits(torch.zeros(50), [3, 7, 9])
    config = SamplingConfig(top_p=1.0)
    first = [draw(logits, config=config, generator=torch.Generator().manual_seed(s)) for s in range(30)]
    again = [draw(logits, config=config, generator=torch.Generator().manual_seed(s)) for s in range(30)]
    assert first == again and set(first) <= {3, 7, 9} and len(set(first)) > 1


def test_sampling_config_validation() -> None:
    with pytest.raises(ModelError):
        SamplingConfig(temperature=0)
    with pytest.raises(ModelError):
        SamplingConfig(top_p=0)


def test_prompt_layout(codec: MusicCodec) -> None:
    prompt = melody_prompt(codec, meter=Meter(6, 8), bars=8, style="irish-jig", key=KeySpec("D"), tempo=116)
    assert codec.tokens(prompt) == ["BOS", "TASK_melody", "STYLE_irish-jig", "KEY_2", "MODE_major", "METER_6/8",
                                    "TEMPO_108", "BARS_8", "MUSIC"]


@pytest.mark.parametrize("meter", [(4, 4), (6, 8), (3, 4), (2, 2)])
def test_random_model_always_gives_valid_melodies(codec: MusicCodec, model, meter: tuple[int, int]) -> None:
    spec = MelodySpec(bars=4, meter=Meter(*meter), low=55, high=79, key=KeySpec("G"), scale="strict")
    for seed in range(3):
        sample = generate_melody(model, codec, spec, seed=seed, style="german-folk", tempo=100)
        melody = sample.melody
        assert melody.bars == 4 and melody.meter == Meter(*meter)
        assert melody.notes and all(55 <= n.pitch <= 79 for n in melody.notes)
        assert {n.pitch % 12 for n in melody.notes} <= scale_pitch_classes(KeySpec("G"))
        assert melody.notes[-1].end <= 4 * melody.bar_length + 1e-9
        again = codec.decode_melody(list(sample.token_ids), meter=spec.meter, bars=4)
        assert again.notes == melody.notes


def test_same_seed_same_melody(codec: MusicCodec, model) -> None:
    spec = MelodySpec(bars=3, meter=Meter(3, 4))
    a = generate_melody(model, codec, spec, seed=11)
    b = generate_melody(model, codec, spec, seed=11)
    c = generate_melody(model, codec, spec, seed=12)
    assert a.token_ids == b.token_ids
    assert a.token_ids != c.token_ids


def test_prefix_mode_keeps_the_given_bars(codec: MusicCodec, model) -> None:
    spec = MelodySpec(bars=4, meter=Meter(4, 4), low=55, high=79)
    first = generate_melody(model, codec, spec, seed=3).melody
    kept = slice_bars(first, 0, 2)
    follow = generate_melody(model, codec, MelodySpec(bars=4, meter=Meter(4, 4), low=55, high=79, keep_bars=2),
                             seed=4, prefix=kept)
    assert follow.melody.notes[: len(kept.notes)] == kept.notes
    assert all(n.onset >= 8 for n in follow.melody.notes[len(kept.notes):])
    assert follow.melody.bars == 4
    with pytest.raises(ModelError):
        generate_melody(model, codec, MelodySpec(bars=4, meter=Meter(4, 4), keep_bars=3), prefix=kept)


def test_soft_scale_penalty_lowers_out_of_key_notes(codec: MusicCodec, model) -> None:
    key = KeySpec("C")
    pcs = scale_pitch_classes(key)

    def out_of_key(penalty: float) -> int:
        spec = MelodySpec(bars=4, meter=Meter(4, 4), low=48, high=84, key=key, scale="soft")
        config = SamplingConfig(out_of_key_penalty=penalty)
        notes = [n for s in range(4) for n in generate_melody(model, codec, spec, seed=s, config=config).melody.notes]
        return sum(n.pitch % 12 not in pcs for n in notes) * 100 // max(len(notes), 1)

    assert out_of_key(50.0) == 0
    assert out_of_key(0.0) > 0
