"""Training data (windows, augmentation, batches), the resumable loop, LoRA adapters and the CLI."""

from __future__ import annotations

import json
import random

import pytest
import torch

from tunesmith.finetune.corpus.dataset import Augment, MelodyData, build_windows, collate, make_batches, melody_windows, read_records
from tunesmith.tokenization.music import slice_bars
from tunesmith.finetune.errors import ModelError
from tunesmith.finetune.lora import AdapterConfig, add_adapter, list_adapters, load_adapters, save_adapter, use_adapter
from tunesmith.finetune.model import get_preset, load_model, save_model
from tunesmith.finetune.train import TrainConfig, fit, lr_at, progress_of
from tunesmith.tokenization.codec import MusicCodec, default_codec
from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note, Song
from tunesmith.tokenization.records import song_to_record

from tiny_models import build_tiny_model


@pytest.fixture(scope="module")
def codec() -> MusicCodec:
    return default_codec()


def _tune(seed: int, *, bars: int = 8, meter: Meter = Meter(4, 4)) -> Melody:
    rng = random.Random(seed)
    notes, t, pitch = [], 0.0, 67
    while t < bars * meter.bar_length - 1e-9:
        d = min(rng.choice([0.5, 0.5, 1.0]), bars * meter.bar_length - t)
        pitch = max(55, min(84, pitch + rng.choice([-2, -1, 1, 2])))
        notes.append(Note(pitch, t, d))
        t += d
    return Melody(notes=tuple(notes), meter=meter, key=KeySpec("G"), tempo=110, bars=bars)


def _records(n: int, *, bars: int = 8) -> list[dict]:
    return [song_to_record(Song(melody=_tune(i, bars=bars, meter=[Meter(4, 4), Meter(6, 8)][i % 2])),
                           record_id=f"t/{i}", source="test", styles=["irish-jig", "irish-folk"]) for i in range(n)]


def test_slice_bars_clips_and_shifts() -> None:
    melody = Melody(notes=(Note(60, 0, 1), Note(62, 3, 4), Note(64, 7, 1)), meter=Meter(2, 4), bars=4)
    window = slice_bars(melody, 1, 3)
    assert window.bars == 2
    assert [(n.pitch, n.onset, n.duration) for n in window.notes] == [(62, 1.0, 3.0)]  # clipped at the end


def test_long_tunes_are_cut_at_bar_lines(codec: MusicCodec) -> None:
    melody = _tune(1, bars=48)
    windows = melody_windows(melody, codec, max_tokens=200)
    assert len(windows) > 1
    assert sum(w.bars for w in windows) == 48
    assert all(len(codec.encode_melody(w)) <= 190 for w in windows)
    data = MelodyData(tuple(build_windows(_records(1, bars=48), codec, max_tokens=200)[0]), codec)
    for seq, window in zip(data.sequences(None), data.windows):
        assert len(seq) <= 200
        assert codec.id_to_token(seq[7]) == f"BARS_{window.melody.bars}"


def test_augmentation_moves_pitches_and_key_together(codec: MusicCodec) -> None:
    windows, skipped = build_windows(_records(4), codec, max_tokens=512)
    assert skipped == 0
    plain = MelodyData(tuple(windows), codec).sequences(None)
    data = MelodyData(tuple(windows), codec, augment=Augment(drop_control=0.0, drop_all=0.0))
    shifted = data.sequences(random.Random(5))
    seen_shift = False
    for a, b in zip(plain, shifted):
        assert len(a) == len(b)
        key_a, key_b = int(codec.id_to_token(a[3])[4:]), int(codec.id_to_token(b[3])[4:])
        diffs = {codec.pitch_of[y] - codec.pitch_of[x] for x, y in zip(a, b) if x in codec.pitch_of}
        assert len(diffs) == 1
        shift = diffs.pop()
        assert (key_a + shift) % 12 == key_b
        seen_shift |= shift != 0
    assert seen_shift


def test_control_dropout_uses_none_tokens(codec: MusicCodec) -> None:
    windows, _ = build_windows(_records(2), codec, max_tokens=512)
    data = MelodyData(tuple(windows), codec, augment=Augment(max_shift=0, drop_control=0.0, drop_all=1.0))
    seq = data.sequences(random.Random(0))[0]
    assert codec.tokens(seq[1:9]) == ["TASK_melody", "STYLE_none", "KEY_none", "MODE_none", "METER_none",
                                      "TEMPO_none", "BARS_none", "MUSIC"]


def test_batches_respect_budget_and_collate_masks_padding() -> None:
    seqs = [[1] * n for n in (5, 9, 3, 12, 7, 7, 2)]
    batches = make_batches(seqs, batch_tokens=24, rng=random.Random(0))
    assert sorted(len(s) for b in batches for s in b) == sorted(len(s) for s in seqs)
    assert all(max(len(s) for s in b) * len(b) <= 24 or len(b) == 1 for b in batches)
    capped = make_batches([[1] * 2] * 10, batch_tokens=24, max_sequences=3)  # the cap, not the budget, splits
    assert [len(b) for b in capped] == [3, 3, 3, 1]
    batch = collate([[5, 6, 7], [8]], pad_id=0)
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["labels"].tolist() == [[5, 6, 7], [8, -100, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]


def test_schedule() -> None:
    config = TrainConfig(lr=1.0, warmup_steps=4, min_lr_ratio=0.0, max_steps=100, time_budget_s=10.0)
    assert lr_at(config, 0, 0.0) == 0.25
    assert lr_at(config, 50, 0.5) == pytest.approx(0.5)
    assert progress_of(config, 10, 9.0) == pytest.approx(0.9)  # the time budget is further along


class _Interrupting:
    """A data source that raises KeyboardInterrupt (like Ctrl-C) when asked for epoch `at`."""

    def __init__(self, data: MelodyData, at: int) -> None:
        self.data, self.at, self.calls = data, at, 0

    def sequences(self, rng):
        self.calls += 1
        if self.calls > self.at:
            raise KeyboardInterrupt
        return self.data.sequences(rng)


def test_fit_learns_and_resumes_exactly(tmp_path, codec: MusicCodec) -> None:
    windows, _ = build_windows(_records(6), codec, max_tokens=512)
    data = MelodyData(tuple(windows), codec)
    valid = MelodyData(tuple(windows[:2]), codec).sequences(None)
    config = TrainConfig(max_steps=8, batch_tokens=600, lr=3e-3, warmup_steps=2, eval_every=4, log_every=2, threads=1)
    steps_per_epoch = len(make_batches(data.sequences(random.Random(0)), batch_tokens=600))
    assert steps_per_epoch < 8

    def saver(model):
        return lambda d: save_model(model, codec, d, config=get_preset("tiny"))

    whole = build_tiny_model()
    end = fit(whole, train_data=data, valid=valid, pad_id=codec.pad_id, config=config, run_dir=tmp_path / "a",
              save_fn=saver(whole), show_progress=False)
    assert end["step"] == 8 and end["valid_loss"] < 7.0
    log = [json.loads(line) for line in (tmp_path / "a" / "log.jsonl").read_text().splitlines()]
    assert any("valid_loss" in e for e in log) and any("train_loss" in e for e in log)

    first = build_tiny_model()
    stopped = fit(first, train_data=_Interrupting(data, 1), valid=valid, pad_id=codec.pad_id, config=config,
                  run_dir=tmp_path / "b", save_fn=saver(first), show_progress=False)
    assert stopped["interrupted"] and stopped["step"] == steps_per_epoch
    assert (tmp_path / "b" / "checkpoint.pt").is_file() and (tmp_path / "b" / "model" / "model.safetensors").is_file()
    second = build_tiny_model()
    done = fit(second, train_data=data, valid=valid, pad_id=codec.pad_id, config=config, run_dir=tmp_path / "b",
               save_fn=saver(second), resume=True, show_progress=False)
    assert done["step"] == 8
    for (name, a), (_, b) in zip(whole.named_parameters(), second.named_parameters()):
        torch.testing.assert_close(a, b, msg=name)


def test_resume_without_checkpoint_fails(tmp_path, codec: MusicCodec) -> None:
    model = build_tiny_model()
    with pytest.raises(ModelError, match="cannot resume"):
        fit(model, train_data=MelodyData((), codec), valid=[], pad_id=0, config=TrainConfig(max_steps=1),
            run_dir=tmp_path, save_fn=lambda d: None, resume=True, show_progress=False)


def test_adapters_save_load_and_switch(tmp_path, codec: MusicCodec) -> None:
    base = build_tiny_model().eval()
    base_dir = save_model(base, codec, tmp_path / "base", config=get_preset("tiny"), half=False)
    ids = torch.tensor([[codec.bos_id, codec.music_id, codec.token_to_id("Bar_None")]])
    with torch.no_grad():
        reference = base(input_ids=ids).logits
    for name, value in (("jig", 0.05), ("reel", -0.05)):
        model, _ = load_model(base_dir)
        peft_model = add_adapter(model, name, AdapterConfig(r=4, alpha=8))
        with torch.no_grad():
            for param_name, param in peft_model.named_parameters():
                if "lora_B" in param_name:
                    param.fill_(value)
        save_adapter(peft_model, base_dir, name)
    assert list_adapters(base_dir) == ["jig", "reel"]
    model, _ = load_model(base_dir)
    peft_model = load_adapters(model, base_dir)
    with torch.no_grad():
        use_adapter(peft_model, "jig")
        jig = peft_model(input_ids=ids).logits
        use_adapter(peft_model, "reel")
        reel = peft_model(input_ids=ids).logits
        with peft_model.disable_adapter():
            plain = peft_model(input_ids=ids).logits
    assert not torch.allclose(jig, reel) and not torch.allclose(jig, reference)
    torch.testing.assert_close(plain, reference)
    with pytest.raises(ModelError):
        use_adapter(peft_model, "polka")
    with pytest.raises(ModelError):
        load_adapters(model, base_dir, ["polka"])


@pytest.mark.slow
def test_cli_pretrain_then_adapter(tmp_path) -> None:
    from typer.testing import CliRunner

    from tunesmith.agent.cli_train import train_app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for split, records in (("train", _records(12)), ("valid", _records(2))):
        (corpus / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    runner = CliRunner()
    run = tmp_path / "run"
    result = runner.invoke(train_app, ["pretrain", "--corpus", str(corpus), "--run", str(run), "--size", "tiny",
                                       "--steps", "6", "--batch-tokens", "1024", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert json.loads((run / "config.json").read_text())["model"]["d_model"] == 32
    result = runner.invoke(train_app, ["pretrain", "--corpus", str(corpus), "--run", str(run), "--steps", "9",
                                       "--resume", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert '"step": 9' in result.output
    result = runner.invoke(train_app, ["adapter", str(run / "model"), "--name", "mine", "--corpus", str(corpus),
                                       "--run", str(tmp_path / "ad"), "--steps", "4", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert list_adapters(run / "model") == ["mine"]
    assert len(read_records(corpus / "train.jsonl")) == 12
    out = tmp_path / "ckpt"
    result = runner.invoke(train_app, ["export", str(run), "--out", str(out), "--adapter", f"mine={tmp_path / 'ad'}"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["base"]["steps"] == 9 and manifest["base"]["model"]["d_model"] == 32
    assert manifest["adapters"]["mine"]["steps"] == 4 and "adapters/mine/adapter_model.safetensors" in manifest["files"]
    model, codec = load_model(out)
    assert list_adapters(out) == ["mine"] and codec.vocab_size == model.config.vocab_size


def test_doctests() -> None:
    import doctest

    from tunesmith.finetune import train as train_module

    result = doctest.testmod(train_module)
    assert result.failed == 0 and result.attempted > 0
