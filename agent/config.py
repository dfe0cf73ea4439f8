"""Settings resolution: flag > environment > config file > default.  The only module that reads os.environ.

Environment variables:
  TUNESMITH_HOME         where sessions, config.toml and default output live (default ~/.tunesmith)
  TUNESMITH_MODEL        chat model spec (default "embedded")
  TUNESMITH_CHECKPOINTS  folder holding the shipped model (default: checkpoints/ beside the code)
  TUNESMITH_OUT          default output folder for one-shot commands (default ./tunesmith-out)
  TUNESMITH_CACHE        where the pretrained language model is converted once and the music model's merged
                         weights are stored (default $XDG_CACHE_HOME/tunesmith
                         or ~/.cache/tunesmith)
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import AgentError

SOURCE_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class Config:
    """Resolved settings for one command."""

    home: Path
    model: str
    checkpoints: Path
    out_dir: Path
    cache: Path = Path("~/.cache/tunesmith").expanduser()

    @property
    def default_checkpoint(self) -> Path:
        return self.checkpoints / "default"

    def models(self, *, progress=None):
        """The lazy model provider of one command (`tools.actions.models.Models`); `progress`
        hears about slow one-time work (converting the pretrained model on first use)."""
        from ..tools.actions.models import Models

        return Models(self.default_checkpoint, user_styles=self.user_styles, lm_cache=self.cache, progress=progress)

    @property
    def user_styles(self) -> Path:
        """Where `tunesmith adapt` puts a person's own style adapters (<home>/styles/adapters/NAME)."""
        return self.home / "styles"

    @property
    def sessions_db(self) -> Path:
        """The SQLite file holding chat sessions, their turns and files."""
        return self.home / "sessions.db"

    @property
    def history_file(self) -> Path:
        """Input history of the chat prompt (readline)."""
        return self.home / "history"


def load_config(*, overrides: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Resolve settings; `overrides` are CLI flags (None values are ignored)."""
    env = os.environ if environ is None else environ
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    home = Path(str(flags.get("home") or env.get("TUNESMITH_HOME") or Path.home() / ".tunesmith")).expanduser()
    file_values = _read_config_file(home / "config.toml")

    def pick(name: str, env_name: str, default: object) -> object:
        return flags.get(name) or env.get(env_name) or file_values.get(name) or default

    return Config(
        home=home,
        model=str(pick("model", "TUNESMITH_MODEL", "embedded")),
        checkpoints=Path(str(pick("checkpoints", "TUNESMITH_CHECKPOINTS", SOURCE_ROOT / "checkpoints"))).expanduser(),
        out_dir=safe_out_dir(Path(str(pick("out_dir", "TUNESMITH_OUT", "tunesmith-out")))),
        cache=Path(str(pick("cache", "TUNESMITH_CACHE",
                            Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tunesmith"))).expanduser(),
    )


def safe_out_dir(path: Path) -> Path:
    """An output folder with `~` expanded (a quoted '~' reaches us literally), refused when it is the
    home folder or the filesystem root itself: files would be strewn there among a person's own.

    >>> str(safe_out_dir(Path("~/songs"))) == str(Path.home() / "songs")
    True
    """
    expanded = Path(path).expanduser()
    try:
        resolved = expanded.resolve()
    except (OSError, RuntimeError) as err:
        raise AgentError(f"cannot use the output folder {path}: {err}") from err
    if resolved == Path.home().resolve() or resolved == Path(resolved.anchor):
        raise AgentError(f"--out {path} is {'your home folder' if resolved != Path(resolved.anchor) else 'the root'} "
                         f"itself; give a folder of its own, e.g. {expanded / 'tunesmith-out'}")
    return expanded


def _read_config_file(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise AgentError(f"cannot read config file {path}: {err}") from err
