"""`tunesmith train pretrain|adapter|harmony|chat|router|profiles|export|run`: train the embedded
model, its LoRA adapters and the small models beside them.

The training commands write a run folder (config.json, log.jsonl, checkpoint.pt, model/) and
can be stopped with Ctrl-C (a checkpoint is saved) and continued with --resume.  `train run
RECIPE` runs a recipe file (finetune/recipes/*.toml: the runs that built checkpoints/default)
through these commands.  torch is imported inside the commands so `tunesmith --help` stays instant.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

train_app = typer.Typer(help="Train the embedded model and its adapters.", no_args_is_help=True)


def _summary(state: dict[str, Any]) -> str:
    keys = ("step", "epoch", "train_loss", "valid_loss", "tokens_per_s", "seconds", "wall_s", "interrupted")
    shown = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in state.items() if k in keys}
    return json.dumps(shown)


@train_app.command("pretrain")
def pretrain_command(
    corpus: Path = typer.Option(Path("data/corpus"), help="Folder with train.jsonl and valid.jsonl."),
    run: Path = typer.Option(Path("runs/base"), help="Run folder (config, log, checkpoint, model/)."),
    size: str = typer.Option("base", help="Model size preset: tiny, small, base, wide."),
    steps: int | None = typer.Option(None, help="Most optimizer steps [default 20000]."),
    minutes: float | None = typer.Option(None, help="Training time budget; the LR schedule ends with it."),
    batch_tokens: int | None = typer.Option(None, help="Padded tokens per batch [default 8192]."),
    lr: float | None = typer.Option(None, help="Peak learning rate [default 2e-3]."),
    warmup: int | None = typer.Option(None, help="Warmup steps [default 100]."),
    seed: int | None = typer.Option(None, help="Random seed [default 1337]."),
    threads: int | None = typer.Option(None, help="CPU threads [default 2]."),
    save_every: float | None = typer.Option(None, help="Minutes between checkpoints [default 5]."),
    eval_every: int | None = typer.Option(None, help="Steps between validation passes [default 250]."),
    max_tokens: int = typer.Option(512, help="Longest training sequence; longer tunes are cut at bar lines."),
    limit: int | None = typer.Option(None, help="Use only the first N records of each split (quick runs)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --run from its checkpoint."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on stderr."),
) -> None:
    """Pre-train the base model from scratch on the corpus."""
    from ..finetune.model import get_preset
    from ..finetune.pretrain import pretrain, saved_run_config, train_config_from
    from ..finetune.train import TrainConfig

    overrides = {"max_steps": steps, "time_budget_s": minutes * 60 if minutes else None,
                 "batch_tokens": batch_tokens, "lr": lr, "warmup_steps": warmup, "seed": seed, "threads": threads,
                 "save_every_s": save_every * 60 if save_every else None, "eval_every": eval_every}
    base = train_config_from(saved_run_config(run)) if resume else TrainConfig()
    config = train_config_from({"train": _as_dict(base)}, **overrides)
    state = pretrain(corpus, run, model_config=get_preset(size), config=config, max_tokens=max_tokens,
                     resume=resume, limit=limit, show_progress=progress)
    typer.echo(_summary(state))
    typer.echo(f"model: {run / 'model'}")


@train_app.command("adapter")
def adapter_command(
    base: Path = typer.Argument(..., help="Base model folder (e.g. checkpoints/default or runs/base/model)."),
    name: str = typer.Option("melody", help="Adapter name; saved to BASE/adapters/NAME."),
    corpus: Path = typer.Option(Path("data/corpus"), help="Folder with train.jsonl (and valid.jsonl)."),
    run: Path | None = typer.Option(None, help="Run folder [default runs/adapter-NAME]."),
    style: str | None = typer.Option(None, help="Label every piece with this style (default: their own)."),
    steps: int | None = typer.Option(None, help="Most optimizer steps [default 300]."),
    minutes: float | None = typer.Option(None, help="Training time budget in minutes."),
    lr: float | None = typer.Option(None, help="Peak learning rate [default 1e-3]."),
    rank: int = typer.Option(8, help="LoRA rank."),
    batch_tokens: int | None = typer.Option(None, help="Padded tokens per batch [default 4096]."),
    threads: int | None = typer.Option(None, help="CPU threads [default 2]."),
    limit: int | None = typer.Option(None, help="Use only the first N records."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run from its checkpoint."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on stderr."),
) -> None:
    """Train a LoRA adapter on top of a frozen base model."""
    from ..finetune.corpus.dataset import read_records
    from ..finetune.lora import AdapterConfig, train_adapter
    from ..finetune.pretrain import train_config_from
    from ..finetune.train import TrainConfig

    default = TrainConfig(max_steps=300, batch_tokens=4096, lr=1e-3, warmup_steps=20, eval_every=100, weight_decay=0.0)
    config = train_config_from({"train": _as_dict(default)}, max_steps=steps, lr=lr, threads=threads,
                               batch_tokens=batch_tokens, time_budget_s=minutes * 60 if minutes else None)
    records = read_records(corpus / "train.jsonl", limit=limit)
    valid_path = corpus / "valid.jsonl"
    valid = read_records(valid_path, limit=limit) if valid_path.is_file() else []
    state = train_adapter(base, records, name, run_dir=adapter_run(name, run), valid_records=valid,
                          config=config, adapter=AdapterConfig(r=rank, alpha=2 * rank), style=style,
                          resume=resume, show_progress=progress)
    typer.echo(_summary(state))
    typer.echo(f"adapter: {base / 'adapters' / name}")


def adapter_run(name: str, run: Path | None) -> Path:
    """The run folder of `train adapter`: --run, else runs/adapter-NAME."""
    return Path(run) if run else Path("runs") / f"adapter-{name}"


@train_app.command("harmony")
def harmony_command(
    base: Path = typer.Argument(Path("checkpoints/default"), help="Base model folder; saved to BASE/adapters/harmony."),
    data: Path = typer.Option(Path("data/harmony"),
                              help="Folder with train.jsonl and valid.jsonl (tunesmith harmony build)."),
    run: Path = typer.Option(Path("runs/harmony"), help="Run folder (config, log, checkpoint, model/)."),
    minutes: float = typer.Option(13.0, help="Training time budget; the LR schedule ends with it."),
    steps: int = typer.Option(100_000, help="Most optimizer steps."),
    lr: float = typer.Option(1e-2, help="Peak learning rate."),
    warmup: int = typer.Option(20, help="Warmup steps."),
    eval_every: int = typer.Option(50, help="Steps between validation passes."),
    log_every: int = typer.Option(10, help="Steps between log lines."),
    batch_tokens: int = typer.Option(2048, help="Padded tokens per batch."),
    threads: int = typer.Option(1, help="CPU threads."),
    rank: int = typer.Option(16, help="LoRA rank."),
    alpha: int = typer.Option(8, help="LoRA alpha."),
    dropout: float = typer.Option(0.05, help="LoRA dropout."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on stderr."),
) -> None:
    """Train the harmony adapter (one chord token per slot of a melody) on the Bach chord records."""
    from ..finetune.corpus.dataset import read_records
    from ..finetune.errors import CorpusError
    from ..finetune.harmony.model import train_harmony_adapter
    from ..finetune.lora import AdapterConfig
    from ..finetune.train import TrainConfig

    if not (data / "train.jsonl").is_file():
        raise CorpusError(f"{data / 'train.jsonl'} is missing; build it first (tunesmith harmony build --validate)")
    valid_path = data / "valid.jsonl"
    config = TrainConfig(max_steps=steps, time_budget_s=minutes * 60, lr=lr, warmup_steps=warmup,
                         eval_every=eval_every, log_every=log_every, weight_decay=0.0, batch_tokens=batch_tokens,
                         threads=threads)
    state = train_harmony_adapter(base, read_records(data / "train.jsonl"), run_dir=run, config=config,
                                  valid_records=read_records(valid_path) if valid_path.is_file() else [],
                                  adapter=AdapterConfig(r=rank, alpha=alpha, dropout=dropout), show_progress=progress)
    typer.echo(_summary(state) + f" valid accuracy {json.dumps(state.get('valid_accuracy'))}")
    typer.echo(f"adapter: {base / 'adapters' / 'harmony'}")


@train_app.command("chat")
def chat_command(
    base: Path = typer.Argument(Path("checkpoints/default"), help="Base model folder; saved to BASE/adapters/chat."),
    run: Path = typer.Option(Path("runs/adapter-chat"), help="Run folder (config, log, checkpoint, model/)."),
    minutes: float = typer.Option(40.0, help="Training time budget; the LR schedule ends with it."),
    steps: int = typer.Option(20000, help="Most optimizer steps."),
    per_epoch: int = typer.Option(20000, help="Synthetic dialogues drawn per epoch (fresh ones each epoch)."),
    lr: float = typer.Option(5e-3, help="Peak learning rate."),
    rank: int = typer.Option(32, help="LoRA rank."),
    alpha: int | None = typer.Option(None, help="LoRA alpha [default 2 x rank]."),
    batch_tokens: int = typer.Option(4096, help="Padded tokens per batch."),
    batch_sequences: int = typer.Option(64, help="Most dialogues per batch (short tool calls get more steps)."),
    threads: int = typer.Option(1, help="CPU threads."),
    prompt_weight: float = typer.Option(0.0, help="Weight of an extra language-model loss on the messages."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run from its checkpoint."),
    router: bool = typer.Option(True, "--router/--no-router",
                                help="Rebuild the router beside the adapter afterwards (see `train router`)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on stderr."),
) -> None:
    """Train the embedded chat adapter on synthetic English and Chinese dialogues."""
    from ..finetune.chat.train import train_chat_adapter
    from ..finetune.lora import AdapterConfig
    from ..finetune.text.adapter import TEXT_TARGETS
    from ..finetune.train import TrainConfig

    config = TrainConfig(max_steps=steps, time_budget_s=minutes * 60, lr=lr, warmup_steps=50, eval_every=200,
                         weight_decay=0.0, batch_tokens=batch_tokens, batch_sequences=batch_sequences, threads=threads)
    state = train_chat_adapter(base, run_dir=run, per_epoch=per_epoch, config=config, resume=resume,
                               adapter=AdapterConfig(r=rank, alpha=alpha or 2 * rank, dropout=0.0, targets=TEXT_TARGETS),
                               show_progress=progress, prompt_weight=prompt_weight, router=router)
    typer.echo(_summary(state))
    typer.echo(f"adapter: {base / 'adapters' / 'chat'}")


@train_app.command("router")
def router_command(
    base: Path = typer.Argument(Path("checkpoints/default"),
                                help="Base model folder; saved to BASE/adapters/chat/router.pt."),
    seed: int = typer.Option(5, help="Seed of the synthetic dialogues and of the fit."),
    count: int = typer.Option(30_000, help="Synthetic dialogues whose first messages it learns from."),
    steps: int = typer.Option(300, help="Full-batch Adam steps."),
    min_count: int = typer.Option(2, help="Drop features seen in fewer messages than this."),
    lr: float = typer.Option(1e-2, help="Learning rate."),
    weight_decay: float = typer.Option(1e-5, help="Adam weight decay."),
) -> None:
    """Fit the chat router (bag of words -> task) that the embedded chat combines with its adapter."""
    from ..finetune.chat.train import train_chat_router

    path = train_chat_router(base, seed=seed, count=count, steps=steps, min_count=min_count, lr=lr,
                             weight_decay=weight_decay)
    typer.echo(f"router: {path}")


@train_app.command("lyrics-lm")
def lyrics_lm_command(
    base: str = typer.Option("gemma3-270m", help="The pretrained base (finetune/lm/bases.toml)."),
    cache: str = typer.Option("~/.cache/tunesmith", help="Where the converted base is cached."),
    text: str = typer.Option("data/text", help="The verse corpus from `tunesmith text build`."),
    work: str = typer.Option("~/.cache/tunesmith/train-lyrics-lm", help="Resumable state (state.pt)."),
    out: str = typer.Option("checkpoints/default/lm/lyrics", help="Where the adapter and train.json go."),
    minutes: float = typer.Option(40.0, help="Training time budget."),
    threads: int = typer.Option(2, help="CPU threads."),
    seed: int = typer.Option(0, help="Seed of the data order, LoRA init and dropout."),
    lr: float = typer.Option(3e-4, help="Learning rate (after warmup, constant)."),
    warmup: int = typer.Option(10, help="Warmup steps."),
    weight_decay: float = typer.Option(0.0, help="AdamW weight decay."),
    clip: float = typer.Option(1.0, help="Gradient norm clip."),
    batch: int = typer.Option(6, help="Passages (1-4 lines) per forward pass."),
    accum: int = typer.Option(2, help="Forward passes per optimizer step."),
    rank: int = typer.Option(8, help="LoRA rank."),
    alpha: int = typer.Option(16, help="LoRA alpha."),
    dropout: float = typer.Option(0.05, help="LoRA dropout."),
    targets: list[str] = typer.Option(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
                                      "--targets", help="LoRA target modules; repeatable."),
    zh_share: float = typer.Option(0.3, help="Share of Chinese passages."),
    layers: list[int] = typer.Option([], "--layers", help="Decoder layers that get the LoRA; repeatable (none: all)."),
    vocab: str = typer.Option("targets", help="Training softmax over the target lines' tokens, or 'full'."),
    held_out: int = typer.Option(100, help="Held-out passages per language for the before/after loss."),
    save_every: float = typer.Option(5.0, help="Minutes between resumable checkpoints."),
    log_every: int = typer.Option(10, help="Steps between progress lines."),
    steps: int = typer.Option(0, help="Stop after this many steps (0: only the time budget)."),
    resume: bool = typer.Option(False, "--resume/--no-resume", help="Continue from WORK/state.pt."),
    init: str = typer.Option("", help="An adapter folder to start from (a second stage on new data)."),
) -> None:
    """Train the lyrics LoRA on the pretrained base (finetune/lm/train_lora.py)."""
    from ..finetune.lm.train_lora import TrainConfig, train

    values = {**locals(), "layers": tuple(int(n) for n in layers)}
    summary = train(TrainConfig.from_options(values), log=typer.echo)
    typer.echo(f"adapter: {out} ({summary['adapter_bytes'] / 1e6:.1f} MB), held-out loss {summary['held_out_loss']}")


@train_app.command("chat-lm")
def chat_lm_command(
    base: str = typer.Option("gemma3-270m", help="The pretrained base (finetune/lm/bases.toml)."),
    cache: str = typer.Option("~/.cache/tunesmith", help="Where the converted base is cached."),
    text: str = typer.Option("data/text", help="Unused by the chat LoRA (kept for the shared training options)."),
    work: str = typer.Option("~/.cache/tunesmith/train-chat-lm", help="Resumable state (state.pt)."),
    out: str = typer.Option("checkpoints/default/lm/chat", help="Where the adapter and train.json go."),
    minutes: float = typer.Option(60.0, help="Training time budget."),
    threads: int = typer.Option(2, help="CPU threads."),
    seed: int = typer.Option(0, help="Seed of the synthetic dialogues, LoRA init and dropout."),
    lr: float = typer.Option(4e-4, help="Learning rate (after warmup, constant)."),
    warmup: int = typer.Option(10, help="Warmup steps."),
    weight_decay: float = typer.Option(0.0, help="AdamW weight decay."),
    clip: float = typer.Option(1.0, help="Gradient norm clip."),
    batch: int = typer.Option(8, help="Dialogue samples per forward pass."),
    accum: int = typer.Option(1, help="Forward passes per optimizer step."),
    rank: int = typer.Option(16, help="LoRA rank."),
    alpha: int = typer.Option(32, help="LoRA alpha."),
    dropout: float = typer.Option(0.05, help="LoRA dropout."),
    targets: list[str] = typer.Option(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
                                      "--targets", help="LoRA target modules; repeatable."),
    layers: list[int] = typer.Option(list(range(6, 18)), "--layers",
                                     help="Decoder layers that get the LoRA; repeatable (default: the upper 12)."),
    zh_share: float = typer.Option(0.4, help="Share of Chinese dialogues."),
    vocab: str = typer.Option("targets", help="Training softmax over the targets' tokens, or 'full'."),
    held_out: int = typer.Option(40, help="Held-out dialogues per language for the before/after loss."),
    save_every: float = typer.Option(5.0, help="Minutes between resumable checkpoints."),
    log_every: int = typer.Option(10, help="Steps between progress lines."),
    steps: int = typer.Option(0, help="Stop after this many steps (0: only the time budget)."),
    resume: bool = typer.Option(False, "--resume/--no-resume", help="Continue from WORK/state.pt."),
    count: int = typer.Option(8000, help="Synthetic training dialogues (finetune/lm/chat_data.py)."),
    init: str = typer.Option("", help="An adapter folder to start from (a second stage on new dialogues)."),
) -> None:
    """Train the chat LoRA on the pretrained base (finetune/lm/train_chat.py)."""
    values = dict(locals())
    values.pop("count")
    from ..finetune.lm.train_chat import data, encoder
    from ..finetune.lm.train_lora import TrainConfig, train
    from ..tools.actions.models import knowledge_facts

    config = TrainConfig.from_options({**values, "layers": tuple(int(n) for n in layers)})
    dialogues = data(seed=seed, count=count, held_out=held_out, answer=knowledge_facts)
    summary = train(config, data=dialogues, encoder=encoder(), log=typer.echo)
    from ..finetune.lm.base import ensure_converted, get_base
    from ..finetune.lm.tokenizer import FastTokenizer
    from ..finetune.lm.train_chat import save_reply_rows

    train_items = [s for part in dialogues["train"].values() for s in part]
    tokenizer = FastTokenizer(ensure_converted(get_base(base), Path(cache).expanduser()))
    rows = save_reply_rows(out, tokenizer, train_items)
    typer.echo(f"reply rows: {rows} token ids of the training replies beside the adapter")
    typer.echo(f"adapter: {out} ({summary['adapter_bytes'] / 1e6:.1f} MB), held-out loss {summary['held_out_loss']}")


@train_app.command("profiles")
def profiles_command(
    corpus: Path = typer.Option(Path("data/corpus"), help="Folder with train.jsonl (tunesmith corpus build)."),
    out: Path = typer.Option(Path("checkpoints/default/style_profiles.json"), help="Where to write the profiles."),
    min_count: int = typer.Option(3, help="Leave out styles with fewer melodies than this."),
    steps: int = typer.Option(500, help="Full-batch gradient steps."),
    l2: float = typer.Option(1e-3, help="Weight decay of the fit."),
) -> None:
    """Fit the style profiles (the classifier `analyze` and eval use) on the corpus train split."""
    from ..finetune.corpus.profiles import profiles_from_corpus

    profiles = profiles_from_corpus(corpus, min_count=min_count, steps=steps, l2=l2)
    out.parent.mkdir(parents=True, exist_ok=True)
    profiles.save(out)
    typer.echo(f"wrote {out}: {len(profiles.labels)} styles from {sum(profiles.counts.values())} melodies")


@train_app.command("export")
def export_command(
    run: Path = typer.Argument(..., help="Pre-training run folder (with model/, config.json, log.jsonl)."),
    out: Path = typer.Option(Path("checkpoints/default"), help="Checkpoint folder to (re)write."),
    adapter: list[str] = typer.Option([], help="NAME=RUN_FOLDER of an adapter run to include; repeatable."),
) -> None:
    """Copy a trained base and its adapters into a checkpoint folder with manifest.json."""
    from ..finetune.release import export_checkpoint

    pairs = {}
    for item in adapter:
        name, sep, folder = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--adapter wants NAME=RUN_FOLDER, not {item!r}")
        pairs[name] = Path(folder)
    manifest = export_checkpoint(run, out, adapter_runs=pairs)
    typer.echo(f"{out}: {manifest['total_bytes'] / 1e6:.1f} MB, base valid loss {manifest['base']['valid_loss']}, "
               f"adapters: {', '.join(manifest['adapters']) or 'none'}")


@train_app.command("run")
def run_command(
    recipes: list[str] = typer.Argument(..., help="Recipe files, or names of shipped ones (see `train recipes`)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the command each recipe runs; run nothing."),
) -> None:
    """Run training recipes in order (all are checked first); each is noted in what it built."""
    from .cli_recipe import describe, plan, run_plan

    plans = [plan(source) for source in recipes]
    for item in plans:
        if dry_run:
            typer.echo(describe(item))
            continue
        typer.echo(f"recipe {item.recipe.name}: {item.command_line}", err=True)
        run_plan(item)


@train_app.command("recipes")
def recipes_command() -> None:
    """List the shipped recipes: the runs that built checkpoints/default."""
    from ..finetune.recipe import load_recipe, shipped_recipes

    for name in shipped_recipes():
        recipe = load_recipe(name)
        typer.echo(f"{name:12} {recipe.step:9} {recipe.description.splitlines()[0] if recipe.description else ''}")


def _as_dict(config: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(config)
