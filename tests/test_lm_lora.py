"""The lyrics LoRA's data and training (finetune/lm/lyrics_data.py, train_lora.py) on a tiny
Gemma-3-shaped model built in code: the examples are the drafter's own prompt, only the line is
scored, training lowers the loss, and the saved adapter loads, merges and resumes exactly."""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from tiny_lm import tiny_gemma, tiny_tokenizer
from tunesmith.finetune.errors import ModelError
from tunesmith.finetune.lm import lyrics_data
from tunesmith.finetune.lm.lyrics_data import Example, build_examples, clean_en, clean_zh, example_lines, mix
from tunesmith.finetune.lm.train_lora import (TrainConfig, collate, encode, newline_id, target_loss, train,
                                              trimmed_head)
from tunesmith.tools.lyrics import pretrained

torch.set_num_threads(1)

EN_POEMS = [
    {"lang": "en", "source": "test/a", "title": "a", "author": "x",
     "lines": ["I walk the road away,", "And leave my home tonight;", "The river over town", "Thou art the light"]},
    {"lang": "en", "source": "test/b", "title": "b", "author": "x",
     "lines": ["The wind is cold again", "I know the long way down", "Where is my heart now"]},
]
ZH_POEMS = [{"lang": "zh", "source": "test/zh", "title": "静夜思", "author": "李白",
             "lines": ["床前明月光", "疑是地上霜", "举头望明月", "低头思故乡"]}]


def _examples() -> list[Example]:
    return [Example(lang="en", theme="leaving home", lines=("I walk the road away", "And leave my home")),
            Example(lang="en", theme="leaving home", lines=("I walk the road away", "And leave my home"), context=1),
            Example(lang="zh", theme="家乡", lines=("我家乡", "月光明"))]


@pytest.mark.parametrize("lang,theme,verse", [("en", "leaving home", ()), ("en", "  my  grandfather's farm ", ("A line",)),
                                              ("en", "", ("one", "two", "three")), ("zh", "故乡", ("床前明月光",)),
                                              ("zh", "", ())])
def test_prompt_is_the_drafters_prompt(lang: str, theme: str, verse: tuple[str, ...]) -> None:
    text = pretrained.lyric_prompt(lang=lang, theme=theme, verse=verse)
    assert text.endswith("".join(f"{line}\n" for line in verse)) and "{" not in text
    assert " ".join(theme.split()) in text and all(line in text for line in example_lines(lang))
    passage = Example(lang=lang, theme=theme, lines=(*verse, "x"))
    assert passage.prompt_for(len(verse)) == text


def test_lines_are_cleaned_to_what_the_drafter_can_write() -> None:
    assert clean_en("The wind is cold again;") == "The wind is cold again,"
    assert clean_en("And, lo, the night—is cold!") == "And lo the night is cold!"
    assert clean_en("Thou art the light of day") is None  # archaic
    assert clean_en("Go") is None and clean_en("So sure I swear to get the town or die and more and more") is None
    assert clean_en("And then I met with Xyzzyq there") is None  # not in CMUdict
    assert clean_en("I walked with Romeo by night") is None  # a name inside the line
    assert clean_en("Here is the warrant from") is None  # cut mid-sentence
    assert clean_en("i'll go home tonight") == "I'll go home tonight"
    assert clean_zh("床前明月光") == "床前明月光" and clean_zh("月光") is None


def test_examples_keep_poems_apart_and_context_short(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for lang, poems in (("en", EN_POEMS), ("zh", ZH_POEMS)):
        (tmp_path / f"poems_{lang}.jsonl").write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in poems))
    monkeypatch.setattr(lyrics_data, "held_out", lambda poem: poem["source"] == "test/b")
    data = build_examples(tmp_path, seed=1)
    assert {e.poem for e in data["train"]["en"]} == {"test/a"} and {e.poem for e in data["held_out"]["en"]} == {"test/b"}
    assert [e.theme for e in data["train"]["zh"]] == ["静夜思"] and data["train"]["zh"][0].lines == tuple(ZH_POEMS[0]["lines"])
    lines = [clean_en(x) for x in EN_POEMS[0]["lines"]]
    assert [line for e in data["train"]["en"] for line in e.targets] == lines[:3]  # the archaic line is left out
    for e in data["train"]["en"] + data["held_out"]["en"]:
        assert 1 <= len(e.lines) <= 4 and e.context == 0
        poem_lines = lines if e.poem == "test/a" else [clean_en(x) for x in EN_POEMS[1]["lines"]]
        k = poem_lines.index(e.lines[0])
        assert list(e.lines) == poem_lines[k:k + len(e.lines)]  # consecutive lines of one poem
    assert build_examples(tmp_path, seed=1) == data
    mixed = mix({"en": _examples()[:2] * 5, "zh": _examples()[2:]}, zh_share=0.4, seed=0)
    assert 0 < sum(e.lang == "zh" for e in mixed) < len(mixed)


def test_loss_covers_only_the_line_and_its_newline() -> None:
    tok = tiny_tokenizer()
    items = [encode(tok, e) for e in _examples()]
    for e, item in zip(_examples(), items):
        assert len(item.spans) == len(e.targets)
        for k, (line, (start, end)) in enumerate(zip(e.targets, item.spans)):
            prompt = [tok.bos_token_id] + tok.encode(e.prompt_for(e.context + k), add_special_tokens=False)
            assert list(item.ids[:start]) == prompt  # what the drafter sends for this line
            assert list(item.ids[start:end]) == tok.encode(line, add_special_tokens=False) + [newline_id(tok)]
    assert items[1].spans == items[0].spans[1:]  # the context line is not scored
    batch = collate(items, pad=tok.pad_token_id)
    want = [t for item in items for a, b in item.spans for t in item.ids[a:b]]
    assert batch["targets"].tolist() == want
    for r, c, t in zip(batch["rows"].tolist(), batch["cols"].tolist(), batch["targets"].tolist()):
        assert any(a <= c + 1 < b for a, b in items[r].spans) and batch["input_ids"][r, c + 1] == t
    # the same sum as a full forward pass with the prompt and the padding masked out
    model = tiny_gemma(len(tok))
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        labels = torch.full_like(batch["input_ids"], -100)
        labels[batch["rows"], batch["cols"] + 1] = batch["targets"]
        full = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                                 labels[:, 1:].reshape(-1), ignore_index=-100, reduction="sum")
        assert torch.allclose(target_loss(model, batch), full, rtol=1e-4)
        every = trimmed_head(model, set(range(len(tok))))
        assert torch.allclose(target_loss(model, batch, head=every), full, rtol=1e-4)
        some = trimmed_head(model, set(want) | {0, 1})
        assert float(target_loss(model, batch, head=some)) < float(full)  # fewer rows to share the mass


def _config(tmp_path: Path, **changes) -> TrainConfig:
    values = dict(out=str(tmp_path / "out"), work=str(tmp_path / "work"), minutes=2.0, threads=1, steps=30,
                  lr=3e-3, warmup=2, batch=2, accum=1, held_out=8, log_every=4)
    return TrainConfig(**{**values, **changes})


def _data() -> dict:
    train_en = _examples()[:2] * 4
    return {"train": {"en": train_en, "zh": _examples()[2:] * 2}, "held_out": {"en": _examples()[:2], "zh": _examples()[2:]}}


def _run(config: TrainConfig) -> dict:
    tok = tiny_tokenizer()
    return train(config, model=tiny_gemma(len(tok)), tokenizer=tok, data=_data(), log=lambda line: None)


def test_training_lowers_the_loss_and_the_adapter_round_trips(tmp_path: Path) -> None:
    from peft import PeftModel

    from tunesmith.finetune.lm.base import merge_adapter

    summary = _run(_config(tmp_path))
    out = tmp_path / "out"
    assert summary["steps"] == 30 and summary["data"]["train"]["en"] == {"passages": 8, "lines": 12}
    for lang in ("en", "zh"):  # over the trained rows; the full-vocabulary loss is in the next test
        assert summary["held_out_loss"]["adapter"][lang]["rows"] < summary["held_out_loss"]["base"][lang]["rows"] - 0.2
    assert sorted(p.name for p in out.iterdir()) == ["adapter_config.json", "adapter_model.safetensors", "train.json"]
    assert json.loads((out / "adapter_config.json").read_text())["base_model_name_or_path"] == "gemma3-270m"
    tok = tiny_tokenizer()
    batch = collate([encode(tok, e) for e in _examples()], pad=tok.pad_token_id)
    base_loss = float(target_loss(tiny_gemma(len(tok)), batch))
    with torch.no_grad():
        loaded = PeftModel.from_pretrained(tiny_gemma(len(tok)), str(out)).eval()
        adapted = float(target_loss(loaded, batch))
        merged = float(target_loss(merge_adapter(tiny_gemma(len(tok)), out), batch))
    assert adapted < base_loss and merged == pytest.approx(adapted, rel=1e-4)


def test_same_seed_same_adapter_and_resume_continues_exactly(tmp_path: Path) -> None:
    whole = _run(_config(tmp_path / "a", steps=8))
    _run(_config(tmp_path / "b", steps=4))
    resumed = _run(_config(tmp_path / "b", steps=8, resume=True))
    again = _run(_config(tmp_path / "c", steps=8))
    weights = [(tmp_path / p / "out" / "adapter_model.safetensors").read_bytes() for p in ("a", "b", "c")]
    assert weights[0] == weights[2] and weights[0] == weights[1]
    assert resumed["steps"] == whole["steps"] == 8
    assert resumed["held_out_loss"] == whole["held_out_loss"] == again["held_out_loss"]
    full = _run(_config(tmp_path / "d", steps=30, vocab="full"))
    for lang in ("en", "zh"):
        assert full["held_out_loss"]["adapter"][lang]["full"] < full["held_out_loss"]["base"][lang]["full"] - 0.1


def test_recipe_lists_every_value() -> None:
    recipe = tomllib.loads((Path(lyrics_data.__file__).parents[1] / "recipes" / "lyrics-lm.toml").read_text())
    defaults = asdict(TrainConfig())
    assert recipe["step"] == "lyrics-lm" and recipe["description"]
    assert {k: tuple(v) if isinstance(v, list) else v for k, v in recipe["options"].items()} == defaults
    assert TrainConfig.from_options(recipe["options"]) == TrainConfig()


def test_a_second_stage_starts_from_the_first_adapter(tmp_path: Path) -> None:
    """init= starts the LoRA from an earlier adapter: its held-out loss is the earlier one's, not the base's,
    and the record keeps the first stage's figures even when the second stage overwrites its folder."""
    first = _run(_config(tmp_path / "a", steps=20))
    folder = tmp_path / "a" / "out"
    second = _run(_config(tmp_path / "b", steps=4, out=str(folder), init=str(folder)))
    assert second["init"]["earlier"]["steps"] == 20 and second["init"]["from"] == str(folder)
    for lang in ("en", "zh"):
        assert second["init"]["held_out_loss"][lang]["rows"] == pytest.approx(
            first["held_out_loss"]["adapter"][lang]["rows"], abs=1e-3)
    with pytest.raises(ModelError, match="no adapter to start from"):
        _run(_config(tmp_path / "c", steps=2, init=str(tmp_path / "nowhere")))
