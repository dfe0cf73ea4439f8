"""Training loop (nanoGPT style): AdamW, warmup + cosine, grad clipping, resumable runs.

A run folder holds everything needed to understand and continue a run:

    run/config.json      resolved TrainConfig + ModelConfig, data hash, seed, argv
    run/log.jsonl        one line per log/eval step: step, train/valid loss, lr, tok/s, seconds
    run/checkpoint.pt    trainable weights, optimizer, step, epoch position, RNG, seconds trained
    run/model/           the latest weights as a loadable folder (base model or adapter)

The schedule ends by itself: progress = max(step / max_steps, seconds / time_budget_s), so a
run on a busy shared CPU still anneals its learning rate and stops on time.  Checkpoints are
written every `save_every_s` seconds, at the end, and on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import io
import json
import math
import random
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..tokenization.files import atomic_write
from .corpus.dataset import SequenceSource, collate, make_batches
from .errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    import torch

CHECKPOINT = "checkpoint.pt"
LOG = "log.jsonl"


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Optimisation knobs; the defaults are the shipped pre-training run."""

    max_steps: int = 20_000  # upper bound on optimizer steps
    time_budget_s: float | None = None  # stop, with the LR annealed, after this much training time
    batch_tokens: int = 8192  # padded tokens per batch (length-bucketed, so little padding)
    batch_sequences: int = 0  # most sequences per batch (0: no cap); a cap gives short examples more steps
    lr: float = 2e-3  # peak learning rate
    min_lr_ratio: float = 0.1  # final LR as a fraction of the peak
    warmup_steps: int = 100  # linear warmup, in steps
    weight_decay: float = 0.1  # AdamW, on matrices only
    beta2: float = 0.98  # AdamW second-moment decay (beta1 = 0.9)
    grad_clip: float = 1.0  # max global grad norm
    eval_every: int = 250  # steps between validation passes
    eval_batches: int = 16  # batches per validation pass (fixed, deterministic)
    log_every: int = 25  # steps between train-loss log lines
    save_every_s: float = 300.0  # seconds between checkpoints
    seed: int = 1337
    threads: int = 2  # torch.set_num_threads on CPU
    device: str = "auto"  # "auto" = cuda when available

    def __post_init__(self) -> None:
        if self.max_steps < 1 or self.batch_tokens < 16 or self.batch_sequences < 0 or self.lr <= 0 or self.warmup_steps < 0:
            raise ModelError(f"bad training config: {self}")


def lr_at(config: TrainConfig, step: int, progress: float) -> float:
    """Linear warmup, then cosine from `lr` down to `lr * min_lr_ratio` as progress goes 0 -> 1.

    >>> c = TrainConfig(lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    >>> lr_at(c, 4, 0.0), lr_at(c, 50, 0.0), round(lr_at(c, 50, 1.0), 3)
    (0.5, 1.0, 0.1)
    """
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    low = config.lr * config.min_lr_ratio
    return low + 0.5 * (config.lr - low) * (1.0 + math.cos(math.pi * min(1.0, progress)))


def progress_of(config: TrainConfig, step: int, seconds: float) -> float:
    """How far the schedule is, 0..1: by steps or by the time budget, whichever is further.

    >>> progress_of(TrainConfig(max_steps=100, time_budget_s=60.0), 10, 30.0)
    0.5
    """
    by_time = seconds / config.time_budget_s if config.time_budget_s else 0.0
    return max(step / config.max_steps, by_time)


def pick_device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def make_optimizer(model: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW with weight decay on matrices only (not on norms)."""
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": config.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.lr, betas=(0.9, config.beta2))


def evaluate(model: torch.nn.Module, batches: list[list[list[int]]], *, pad_id: int, device: str) -> float:
    """Mean token loss over fixed batches (weighted by target tokens)."""
    import torch

    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in batches:
            inputs = {k: v.to(device) for k, v in collate(batch, pad_id=pad_id).items()}
            n = int((inputs["labels"][:, 1:] != -100).sum())
            total += float(model(**inputs).loss) * n
            count += n
    model.train(was_training)
    return total / max(count, 1)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Let `kill PID` stop a background run the way Ctrl-C does (and save a checkpoint)."""
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _trainable_state(model: torch.nn.Module) -> dict[str, Any]:
    return {n: p.detach().cpu().clone() for n, p in model.named_parameters() if p.requires_grad}


def _save_checkpoint(run_dir: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                     state: dict[str, Any], rng: random.Random) -> None:
    import torch

    blob = {"model": _trainable_state(model), "optimizer": optimizer.state_dict(), "state": state,
            "torch_rng": torch.get_rng_state(), "data_rng": rng.getstate()}
    buffer = io.BytesIO()
    torch.save(blob, buffer)
    atomic_write(run_dir / CHECKPOINT, buffer.getvalue())


def _load_checkpoint(run_dir: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                     rng: random.Random) -> dict[str, Any]:
    import torch

    path = run_dir / CHECKPOINT
    if not path.is_file():
        raise ModelError(f"cannot resume: {path} does not exist")
    blob = torch.load(path, map_location="cpu", weights_only=False)
    missing = set(blob["model"]) - {n for n, _ in model.named_parameters()}
    if missing:
        raise ModelError(f"checkpoint {path} does not match the model ({len(missing)} unknown weights)")
    model.load_state_dict(blob["model"], strict=False)
    optimizer.load_state_dict(blob["optimizer"])
    torch.set_rng_state(blob["torch_rng"])
    rng.setstate(blob["data_rng"])
    return dict(blob["state"])


def _log(run_dir: Path, entry: dict[str, Any]) -> None:
    with (run_dir / LOG).open("a") as fh:
        fh.write(json.dumps(entry) + "\n")


def write_run_config(run_dir: Path, config: TrainConfig, **extra: Any) -> None:
    """The resolved configuration of a run, with anything else worth recording."""
    run_dir.mkdir(parents=True, exist_ok=True)
    body = {"train": asdict(config), "argv": sys.argv, **extra}
    (run_dir / "config.json").write_text(json.dumps(body, indent=2, default=str) + "\n")


def fit(model: torch.nn.Module, *, train_data: SequenceSource, valid: list[list[int]], pad_id: int,
        config: TrainConfig, run_dir: str | Path, save_fn: Callable[[Path], None],
        resume: bool = False, show_progress: bool = True) -> dict[str, Any]:
    """Train `model` in place; returns the final state (step, seconds, losses, tokens/s).

    `train_data.sequences(rng)` gives one epoch of (augmented) token sequences; `save_fn(dir)`
    writes the loadable weights (a base model or an adapter) into `run_dir/model`.
    """
    import torch
    from tqdm import tqdm

    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    device = pick_device(config.device)
    if device == "cpu":
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    model.to(device).train()
    optimizer = make_optimizer(model, config)
    state: dict[str, Any] = {"step": 0, "epoch": 0, "batch_index": 0, "seconds": 0.0, "tokens": 0,
                             "train_loss": None, "valid_loss": None}
    if resume:
        state.update(_load_checkpoint(run, model, optimizer, rng))
    valid_batches = _spread(make_batches(valid, batch_tokens=config.batch_tokens), config.eval_batches)

    def checkpoint() -> None:
        _save_checkpoint(run, model, optimizer, state, rng)
        save_fn(run / "model")

    bar = tqdm(total=config.max_steps, initial=state["step"], disable=not show_progress,
               file=sys.stderr, dynamic_ncols=True, desc=run.name)
    last_save = time.monotonic()
    window_loss, window_tokens, window_steps, window_start = 0.0, 0, 0, time.monotonic()
    try:
        with _sigterm_as_interrupt():
            while not _finished(config, state):
                epoch_rng = random.Random(f"{config.seed}:{state['epoch']}")
                batches = make_batches(train_data.sequences(epoch_rng), batch_tokens=config.batch_tokens,
                                       rng=epoch_rng, max_sequences=config.batch_sequences)
                if not batches:
                    raise ModelError("no training sequences")
                while state["batch_index"] < len(batches) and not _finished(config, state):
                    started = time.monotonic()
                    batch = collate(batches[state["batch_index"]], pad_id=pad_id)
                    loss, tokens = _step(model, optimizer, batch, config, state, device)
                    state["batch_index"] += 1
                    state["step"] += 1
                    state["tokens"] += tokens
                    window_loss, window_tokens = window_loss + loss, window_tokens + tokens
                    window_steps += 1
                    bar.update(1)
                    if state["step"] % config.log_every == 0:
                        _log_train(run, state, bar, window_loss / window_steps,
                                   window_tokens / max(time.monotonic() - window_start, 1e-9))
                        window_loss, window_tokens, window_steps, window_start = 0.0, 0, 0, time.monotonic()
                    if state["step"] % config.eval_every == 0 and valid_batches:
                        state["valid_loss"] = evaluate(model, valid_batches, pad_id=pad_id, device=device)
                        _log(run, {"step": state["step"], "valid_loss": round(state["valid_loss"], 4),
                                   "seconds": round(state["seconds"], 1)})
                    if time.monotonic() - last_save > config.save_every_s:
                        checkpoint()
                        last_save = time.monotonic()
                    state["seconds"] += time.monotonic() - started  # wall time, eval and saving included
                if state["batch_index"] >= len(batches):
                    state["epoch"] += 1
                    state["batch_index"] = 0
    except KeyboardInterrupt:
        bar.close()
        checkpoint()
        state["interrupted"] = True
        return state
    bar.close()
    if window_steps:
        _log_train(run, state, bar, window_loss / window_steps,
                   window_tokens / max(time.monotonic() - window_start, 1e-9))
    if valid_batches and state["step"] % config.eval_every:
        state["valid_loss"] = evaluate(model, valid_batches, pad_id=pad_id, device=device)
        _log(run, {"step": state["step"], "valid_loss": round(state["valid_loss"], 4),
                   "seconds": round(state["seconds"], 1), "final": True})
    checkpoint()
    state["tokens_per_s"] = state["tokens"] / max(state["seconds"], 1e-9)
    return state


def _spread(batches: list[list[list[int]]], count: int) -> list[list[list[int]]]:
    """`count` batches evenly spaced over length-sorted batches, so short and long pieces both count.

    >>> _spread([[[1]], [[2]], [[3]], [[4]], [[5]]], 2)
    [[[1]], [[3]]]
    """
    if len(batches) <= count:
        return batches
    return [batches[i * len(batches) // count] for i in range(count)]


def _finished(config: TrainConfig, state: dict[str, Any]) -> bool:
    return progress_of(config, state["step"], state["seconds"]) >= 1.0


def _step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, batch: dict[str, Any],
          config: TrainConfig, state: dict[str, Any], device: str) -> tuple[float, int]:
    import torch

    lr = lr_at(config, state["step"], progress_of(config, state["step"], state["seconds"]))
    for group in optimizer.param_groups:
        group["lr"] = lr
    batch = {k: v.to(device) for k, v in batch.items()}
    loss = model(**batch).loss
    if not torch.isfinite(loss):
        raise ModelError(f"training diverged at step {state['step']} (loss {float(loss)}); lower the learning rate")
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], config.grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    state["lr"] = lr
    return loss.detach().item(), int(batch["attention_mask"].sum())


def _log_train(run: Path, state: dict[str, Any], bar: Any, loss: float, tokens_per_s: float) -> None:
    state["train_loss"] = loss
    bar.set_postfix(loss=f"{loss:.3f}", valid=f"{state['valid_loss'] or float('nan'):.3f}",
                    tok_s=f"{tokens_per_s:.0f}")
    _log(run, {"step": state["step"], "train_loss": round(loss, 4), "lr": round(state["lr"], 6),
               "tok_s": round(tokens_per_s), "seconds": round(state["seconds"], 1)})
