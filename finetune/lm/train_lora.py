"""Train the lyrics LoRA on the pretrained base: one verse line after the drafter's prompt.

    python -m tunesmith.finetune.lm.train_lora --minutes 40 [--resume] [--threads 2] [--out DIR]

Examples come from `lyrics_data` (the drafter's exact prompt, the next line, loss on the line
and its newline only).  On CPU the 262k-row output layer is the cost, so the body runs once per
batch for hidden states and the output layer sees only the target positions.  The run is
time-budgeted; every `save_every` minutes and at the end the adapter, optimizer state, step and
RNG go to `work/state.pt`, so `--resume` continues exactly where it stopped (the LR is a
warmup then constant, so a resumed run takes the same steps as an unbroken one).  The held-out
loss is measured with the adapter off (the base) before training and with it on after.  The
final adapter (fp16, ~4-8 MB) and train.json go to `out`.  Every default is in
`finetune/recipes/lyrics-lm.toml`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Callable

import torch

from ..errors import ModelError
from .lyrics_data import Example, build_examples, mix

TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class TrainConfig:
    """Every value of a run (the recipe `finetune/recipes/lyrics-lm.toml` lists them all)."""

    base: str = "gemma3-270m"
    cache: str = "~/.cache/tunesmith"
    text: str = "data/text"
    work: str = "~/.cache/tunesmith/train-lyrics-lm"
    out: str = "checkpoints/default/lm/lyrics"
    minutes: float = 40.0
    threads: int = 2
    seed: int = 0
    lr: float = 3e-4
    warmup: int = 10
    weight_decay: float = 0.0
    clip: float = 1.0
    batch: int = 6  # passages (1-4 lines each) per forward pass
    accum: int = 2  # forward passes per optimizer step
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    targets: tuple[str, ...] = TARGETS
    zh_share: float = 0.3  # of the passages (a Chinese passage holds more lines: ~45% of the lines)
    vocab: str = "targets"  # training softmax over the target lines' tokens, or "full"
    held_out: int = 100  # held-out passages per language for the before/after loss
    save_every: float = 5.0  # minutes between resumable checkpoints
    log_every: int = 10  # optimizer steps between progress lines
    steps: int = 0  # stop after this many optimizer steps (0: only the time budget)
    resume: bool = False
    layers: tuple[int, ...] = ()  # LoRA only on these decoder layers (none: all); backward stops below them
    init: str = ""  # an adapter folder whose weights start the run (a second stage on new data); "": fresh

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(options) - known
        if unknown:
            raise ModelError(f"unknown lyrics-lm options: {', '.join(sorted(unknown))}")
        values = {k: tuple(v) if k in ("targets", "layers") else v for k, v in options.items()}
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Encoded:
    ids: tuple[int, ...]
    spans: tuple[tuple[int, int], ...]  # [start, end) of each target line's tokens (newline included)


def newline_id(tokenizer: Any) -> int:
    return tokenizer.encode("\n", add_special_tokens=False)[-1]


def encode(tokenizer: Any, example: Example) -> Encoded:
    """The prompt as the drafter encodes it (BOS + text), then each target line's tokens and the
    newline (for Gemma's tokenizer the same ids as encoding each line's full prompt: a test of
    the data checks it on the corpus)."""
    bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    ids = bos + tokenizer.encode(example.prompt, add_special_tokens=False)
    spans = []
    for line in example.targets:
        start = len(ids)
        ids += tokenizer.encode(line, add_special_tokens=False) + [newline_id(tokenizer)]
        spans.append((start, len(ids)))
    return Encoded(ids=tuple(ids), spans=tuple(spans))


def collate(items: list[Encoded], *, pad: int) -> dict[str, torch.Tensor]:
    """Right-padded ids and mask, and (row, position, next token) of every target to predict."""
    width = max(len(e.ids) for e in items)
    ids = torch.full((len(items), width), pad, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    rows, cols = [], []
    for r, e in enumerate(items):
        ids[r, :len(e.ids)] = torch.tensor(e.ids)
        mask[r, :len(e.ids)] = 1
        for start, end in e.spans:
            for p in range(start - 1, end - 1):  # position p predicts token p + 1
                rows.append(r)
                cols.append(p)
    rows_t, cols_t = torch.tensor(rows), torch.tensor(cols)
    return {"input_ids": ids, "attention_mask": mask, "rows": rows_t, "cols": cols_t,
            "targets": ids[rows_t, cols_t + 1]}


@dataclass(frozen=True)
class Head:
    """The output rows a loss is taken over: the drafter only ever scores the tokens its lexicons
    allow, so training normalises over the tokens of the target lines (~10% of Gemma's 262k
    rows, ~10x cheaper than the full layer); the held-out loss uses every row."""

    weight: torch.Tensor  # (rows, hidden), frozen
    index: torch.Tensor  # token id -> row, -1 when not a row


def trimmed_head(model: Any, token_ids: set[int]) -> Head:
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    full = inner.lm_head.weight
    order = torch.tensor(sorted(token_ids), dtype=torch.long)
    index = torch.full((full.shape[0],), -1, dtype=torch.long)
    index[order] = torch.arange(len(order))
    return Head(weight=full.detach().index_select(0, order).clone(), index=index)


def target_loss(model: Any, batch: dict[str, torch.Tensor], *, head: Head | None = None) -> torch.Tensor:
    """Summed cross-entropy of the target tokens; logits only at their positions (and only over
    `head`'s rows when given)."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    hidden = inner.get_decoder()(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                 use_cache=False).last_hidden_state
    picked = hidden[batch["rows"], batch["cols"]]
    targets = batch["targets"]
    if head is None:
        logits = inner.lm_head(picked).float()
    else:
        logits = picked @ head.weight.T
        targets = head.index[targets]
    cap = getattr(inner.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return torch.nn.functional.cross_entropy(logits, targets, reduction="sum")


def batches(items: list[Encoded], *, size: int, seed: int, window: int = 64) -> list[list[Encoded]]:
    """Micro-batches in a seeded order; each window of examples is sorted by length first, so a
    batch pads little."""
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    out = []
    for k in range(0, len(order), window):
        chunk = sorted(order[k:k + window], key=lambda i: (len(items[i].ids), i))
        groups = [chunk[j:j + size] for j in range(0, len(chunk), size)]
        random.Random(seed + k).shuffle(groups)
        out += [[items[i] for i in g] for g in groups]
    return out


def held_out_loss(model: Any, items: list[Encoded], *, pad: int, head: Head | None = None,
                  size: int = 16) -> dict[str, float]:
    """Mean loss per target token (nats) over `items`, dropout off: over every output row
    ("full") and, with `head`, over its rows only ("rows", what the drafter's choice sees)."""
    was_training = model.training
    model.eval()
    total, trimmed, count = 0.0, 0.0, 0
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    with torch.no_grad():
        for k in range(0, len(items), size):
            batch = collate(items[k:k + size], pad=pad)
            hidden = inner.get_decoder()(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                         use_cache=False).last_hidden_state[batch["rows"], batch["cols"]]
            ce = torch.nn.functional.cross_entropy
            total += float(ce(inner.lm_head(hidden).float(), batch["targets"], reduction="sum"))
            if head is not None:
                trimmed += float(ce(hidden @ head.weight.T, head.index[batch["targets"]], reduction="sum"))
            count += len(batch["targets"])
    model.train(was_training)
    out = {"full": total / max(count, 1)}
    if head is not None:
        out["rows"] = trimmed / max(count, 1)
    return out


def lora_model(model: Any, config: TrainConfig) -> Any:
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(config.seed)
    names = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
    targets = [t for t in config.targets if t in names]
    if not targets:
        raise ModelError(f"none of the LoRA targets {config.targets} is a module of the base")
    lora = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                      target_modules=targets, task_type="CAUSAL_LM",
                      layers_to_transform=list(config.layers) or None)
    return get_peft_model(model, lora)


def save_adapter(model: Any, out: Path, *, base: str) -> int:
    """The adapter in fp16 (adapter_config.json, adapter_model.safetensors); returns its bytes."""
    from safetensors.torch import load_file, save_file

    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    weights = out / "adapter_model.safetensors"
    tensors = {k: v.to(torch.float16).contiguous() for k, v in load_file(str(weights)).items()}
    save_file(tensors, str(weights), metadata={"format": "pt"})
    config_path = out / "adapter_config.json"
    adapter_config = json.loads(config_path.read_text(encoding="utf-8"))
    adapter_config["base_model_name_or_path"] = base  # not this machine's cache path
    adapter_config["target_modules"] = sorted(adapter_config["target_modules"])  # a set: same bytes every run
    config_path.write_text(json.dumps(adapter_config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (out / "README.md").unlink(missing_ok=True)  # peft's model-card stub
    return weights.stat().st_size + config_path.stat().st_size


def _save_state(path: Path, model: Any, optimizer: Any, state: dict) -> None:
    from peft import get_peft_model_state_dict

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({**state, "lora": get_peft_model_state_dict(model), "optimizer": optimizer.state_dict(),
                "rng": torch.get_rng_state()}, tmp)
    tmp.replace(path)


def _warm_start(model: Any, folder: Path, *, log: Callable[[str], None]) -> dict:
    """The LoRA weights of an earlier run's adapter as this run's start (same rank, targets, layers);
    returns the record of that run (its train.json, read before this run may overwrite it)."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    weights = folder / "adapter_model.safetensors"
    if not weights.is_file():
        raise ModelError(f"no adapter to start from: {weights} is missing")
    tensors = {k: v.float() for k, v in load_file(str(weights)).items()}
    result = set_peft_model_state_dict(model, tensors)
    missing = [k for k in getattr(result, "missing_keys", ()) if "lora_" in k]
    if missing or getattr(result, "unexpected_keys", ()):
        raise ModelError(f"the adapter in {folder} does not match this run's LoRA (rank, targets or layers differ)")
    log(f"starting from the adapter in {folder} ({len(tensors)} tensors)")
    try:
        earlier = json.loads((folder / "train.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        earlier = {}
    keep = ("steps", "seed", "seconds", "passages_seen", "held_out_loss", "init")
    return {"from": str(folder), "earlier": {k: earlier[k] for k in keep if k in earlier}}


def train(config: TrainConfig, *, model: Any = None, tokenizer: Any = None,
          data: dict[str, dict[str, list[Example]]] | None = None,
          log: Callable[[str], None] = print, encoder: Callable[[Any, Any], Encoded] | None = None) -> dict:
    """Run (or resume) training; returns the summary written to `out/train.json`."""
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    if model is None or tokenizer is None:
        from .base import get_base, load_base

        model, tokenizer = load_base(get_base(config.base), Path(config.cache).expanduser(), progress=log)
    if data is None:
        data = build_examples(config.text, seed=config.seed)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    encode_one = encoder or encode  # the chat LoRA encodes its own transcripts (train_chat)
    train_items = [encode_one(tokenizer, e) for e in mix(data["train"], zh_share=config.zh_share, seed=config.seed)]
    held = {lang: [encode_one(tokenizer, e) for e in data["held_out"].get(lang, [])[:config.held_out]]
            for lang in ("en", "zh")}
    held = {lang: items for lang, items in held.items() if items}
    counts = {part: {lang: {"passages": len(v), "lines": sum(len(getattr(e, "targets", (1,))) for e in v)}
                     for lang, v in data[part].items()} for part in ("train", "held_out")}
    log(f"examples: train {counts['train']}, held-out {counts['held_out']} "
        f"(loss on {({k: sum(len(e.spans) for e in v) for k, v in held.items()})} held-out lines)")

    head = None
    if config.vocab == "targets":
        rows = {t for e in train_items for a, b in e.spans for t in e.ids[a:b]}
        rows |= {t for items in held.values() for e in items for a, b in e.spans for t in e.ids[a:b]}
        head = trimmed_head(model, rows)
        log(f"training loss over {len(rows)} output rows (the target lines' tokens) of {model.lm_head.weight.shape[0]}")
    model = lora_model(model, config)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    work = Path(config.work).expanduser()
    state_path = work / "state.pt"
    state = {"step": 0, "cursor": 0, "seconds": 0.0, "tokens": 0, "targets": 0, "history": [], "before": None,
             "init": None, "config": asdict(config)}
    if config.resume and state_path.is_file():
        from peft import set_peft_model_state_dict

        saved = torch.load(state_path, weights_only=False)
        set_peft_model_state_dict(model, saved.pop("lora"))
        optimizer.load_state_dict(saved.pop("optimizer"))
        torch.set_rng_state(saved.pop("rng"))
        state.update({k: saved[k] for k in state if k in saved and k != "config"})
        log(f"resumed at step {state['step']} ({state['seconds'] / 60:.1f} min trained)")
    elif config.init:
        state["init"] = _warm_start(model, Path(config.init), log=log)
        state["init"]["held_out_loss"] = _round({lang: held_out_loss(model, items, pad=pad, head=head)
                                                for lang, items in held.items()})
        log(f"held-out loss of the adapter started from: {_fmt(state['init']['held_out_loss'])}")
    if state["before"] is None:
        with model.disable_adapter():
            state["before"] = {lang: held_out_loss(model, items, pad=pad, head=head) for lang, items in held.items()}
        log(f"held-out loss of the base: {_fmt(state['before'])}")

    order = batches(train_items, size=config.batch, seed=config.seed)
    if not order:
        raise ModelError("no training examples")
    model.train()
    start = time.monotonic()
    last_save = start
    window = {"loss": 0.0, "targets": 0, "tokens": 0, "t": start}
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= config.minutes * 60 or (config.steps and state["step"] >= config.steps):
            break
        for group in range(config.accum):
            batch = collate(order[(state["cursor"] + group) % len(order)], pad=pad)
            n = len(batch["targets"])
            loss = target_loss(model, batch, head=head)
            (loss / (n * config.accum)).backward()
            window["loss"] += float(loss.detach())
            window["targets"] += n
            window["tokens"] += int(batch["attention_mask"].sum())
        state["cursor"] += config.accum
        lr = config.lr * min(1.0, (state["step"] + 1) / max(config.warmup, 1))
        for g in optimizer.param_groups:
            g["lr"] = lr
        torch.nn.utils.clip_grad_norm_(params, config.clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        state["step"] += 1
        if state["step"] % config.log_every == 0:
            now = time.monotonic()
            mean = window["loss"] / max(window["targets"], 1)
            speed = window["tokens"] / max(now - window["t"], 1e-9)
            state["history"].append({"step": state["step"], "loss": round(mean, 4), "tok_s": round(speed, 1)})
            log(f"step {state['step']} passages {state['cursor'] * config.batch} loss {mean:.3f} "
                f"{speed:.0f} tok/s lr {lr:.1e} {(state['seconds'] + now - start) / 60:.1f} min")
            state["tokens"] += window["tokens"]
            state["targets"] += window["targets"]
            window = {"loss": 0.0, "targets": 0, "tokens": 0, "t": now}
        if time.monotonic() - last_save >= config.save_every * 60:
            _save_state(state_path, model, optimizer, {**state, "seconds": state["seconds"] + time.monotonic() - start})
            last_save = time.monotonic()
    state["tokens"] += window["tokens"]
    state["targets"] += window["targets"]
    state["seconds"] += time.monotonic() - start
    _save_state(state_path, model, optimizer, state)
    after = {lang: held_out_loss(model, items, pad=pad, head=head) for lang, items in held.items()}
    log(f"held-out loss with the adapter: {_fmt(after)} (base {_fmt(state['before'])})")
    out = Path(config.out)
    size = save_adapter(model, out, base=config.base)
    summary = {"base": config.base, "seed": config.seed, "steps": state["step"],
               "passages_seen": state["cursor"] * config.batch, "vocab": config.vocab, "seconds": round(state["seconds"], 1),
               "tokens": state["tokens"], "target_tokens": state["targets"],
               "tokens_per_s": round(state["tokens"] / max(state["seconds"], 1e-9), 1),
               "data": counts, "held_out_examples": {lang: len(v) for lang, v in held.items()},
               "held_out_loss": {"base": _round(state["before"]), "adapter": _round(after)},
               "adapter_bytes": size, "threads": config.threads,
               "lora": {"r": config.rank, "alpha": config.alpha, "dropout": config.dropout,
                        "targets": list(config.targets)},
               "lr": config.lr, "batch": config.batch, "accum": config.accum, "zh_share": config.zh_share,
               "loss_curve": state["history"][-20:], **({"init": state["init"]} if state.get("init") else {})}
    (out / "train.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"saved {out} ({size / 1e6:.1f} MB)")
    return summary


def _round(losses: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {lang: {k: round(v, 4) for k, v in row.items()} for lang, row in losses.items()}


def _fmt(losses: dict[str, dict[str, float]]) -> str:
    return "; ".join(f"{lang} " + ", ".join(f"{k} {v:.3f}" for k, v in row.items()) for lang, row in losses.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tunesmith.finetune.lm.train_lora",
                                     description=__doc__.split("\n")[0])
    for name, kind in (("minutes", float), ("threads", int), ("out", str), ("work", str), ("text", str),
                       ("seed", int), ("steps", int), ("held-out", int)):
        parser.add_argument(f"--{name}", type=kind, default=None, help=f"default {getattr(TrainConfig(), name.replace('-', '_'))}")
    parser.add_argument("--resume", action="store_true", default=None, help="continue from WORK/state.pt")
    parser.add_argument("--recipe", help="a recipe TOML whose [options] replace the defaults (flags still win)")
    args = vars(parser.parse_args(argv))
    config = TrainConfig()
    recipe = args.pop("recipe")
    if recipe:
        import tomllib

        config = TrainConfig.from_options(tomllib.loads(Path(recipe).read_text(encoding="utf-8"))["options"])
    config = replace(config, **{k: v for k, v in args.items() if v is not None})
    try:
        train(config, log=lambda line: print(line, flush=True))
    except ModelError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
