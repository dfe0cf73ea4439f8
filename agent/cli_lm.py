"""`tunesmith lm prepare|info`: the pretrained language model under the lyrics.

`prepare` converts the base's GGUF (from its installed package, hash-checked) once into the cache
folder and builds what the lyrics path keeps there (the lean int8 model, the token lexicons, the
trimmed output rows), so the first `tunesmith lyrics` does not wait for them; `make setup` runs it.
It also stores the music model's merged lean weights (melody and harmony adapters), so the first
`melody` and `chords` read them instead of building them from the HF model.
"""

from __future__ import annotations

import typer

from .config import load_config

lm_app = typer.Typer(help="The pretrained language model: convert it once, show what is installed.",
                     no_args_is_help=True)


@lm_app.command("prepare")
def prepare_command(
    base: str = typer.Option("", help="Base model name from finetune/lm/bases.toml (default: the checkpoint's)."),
) -> None:
    """Convert the pretrained base once into the cache (about a minute; later runs do nothing)."""
    from ..finetune.lm.base import ensure_converted, get_base, is_converted

    config = load_config()
    models = config.models(progress=typer.echo)
    _prepare_music(models)
    settings = models.lm_settings() or {}
    shipped = get_base(settings.get("base"))
    spec = get_base(base) if base else shipped
    if is_converted(spec, config.cache):
        typer.echo(f"{spec.name}: already converted in {config.cache}")
    else:
        folder = ensure_converted(spec, config.cache, progress=typer.echo)
        typer.echo(f"{spec.name}: converted into {folder}")
    if spec.name == shipped.name and models.lm_missing() is None:
        models.lyrics_lm().warm()  # the lean model, lexicons and output rows the first lyric needs
        typer.echo(f"{spec.name}: ready for lyrics (English and Mandarin)")
        if models.chat_missing() is None:
            models.chat_decoder()  # the base with the chat LoRA merged, and the rows replies may use
            typer.echo(f"{spec.name}: ready for chat (the chat LoRA in {models.chat_adapter})")


def _prepare_music(models) -> None:
    """Store the merged lean weights of the music model's melody and harmony adapters."""
    from ..tools.chords.recommend import HARMONY_ADAPTER
    from ..tools.melody.compose import MELODY_ADAPTER

    names = [name for name in (MELODY_ADAPTER, HARMONY_ADAPTER) if name in models.adapters()]
    if names and models.missing(names[0]) is None:
        runtime = models.runtime()
        runtime.warm(names)
        typer.echo(f"music model: merged weights of the {' and '.join(names)} adapters in {runtime.store}")


@lm_app.command("info")
def info_command() -> None:
    """Which base models are known, installed and converted, with their licences."""
    from ..finetune.errors import ModelError
    from ..finetune.lm.base import bases, converted_dir, is_converted, package_dir, terms_file

    config = load_config()
    models = config.models()
    chosen = (models.lm_settings() or {}).get("base")
    for name, spec in bases().items():
        try:
            where = str(package_dir(spec))
        except ModelError:
            where = f"not installed ({spec.install_hint})"
        state = f"converted in {converted_dir(spec, config.cache)}" if is_converted(spec, config.cache) else "not converted"
        mark = " (used by the shipped model)" if name == chosen else ""
        typer.echo(f"{name}{mark}: {', '.join(spec.languages)}; licence: {spec.licence}")
        typer.echo(f"  package: {where}; {state}")
        terms = terms_file(spec) if "not installed" not in where else None
        if terms is not None:
            typer.echo(f"  terms: {terms}")
    adapter = models.lyrics_adapter
    typer.echo(f"lyrics LoRA: {adapter if adapter else 'none shipped (the base drafts alone)'}")
    typer.echo(f"chat LoRA: {models.chat_adapter or 'none shipped (use --model legacy or a bigger LLM)'}")
