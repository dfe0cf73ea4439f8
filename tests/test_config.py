"""Settings precedence: flag > environment > config file > default."""

from pathlib import Path

import pytest

from tunesmith.agent.config import load_config
from tunesmith.agent.errors import AgentError


def test_precedence(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('model = "ollama:file"\nout_dir = "from-file"\n')
    env = {"TUNESMITH_HOME": str(tmp_path), "TUNESMITH_MODEL": "ollama:env"}
    assert load_config(environ=env).model == "ollama:env"
    assert load_config(environ=env, overrides={"model": "ollama:flag"}).model == "ollama:flag"
    assert load_config(environ={"TUNESMITH_HOME": str(tmp_path)}).model == "ollama:file"
    assert load_config(environ={"TUNESMITH_HOME": str(tmp_path)}).out_dir == Path("from-file")
    assert load_config(environ={"TUNESMITH_HOME": str(tmp_path / "none")}).model == "embedded"


def test_broken_config_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("model = [unclosed")
    with pytest.raises(AgentError, match="config.toml"):
        load_config(environ={"TUNESMITH_HOME": str(tmp_path)})


def test_out_dir_expands_tilde_and_refuses_home_and_root(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    env = {"TUNESMITH_HOME": str(tmp_path / "h")}
    assert load_config(environ=env, overrides={"out_dir": Path("~/songs")}).out_dir == tmp_path / "songs"
    assert load_config(environ={**env, "TUNESMITH_OUT": "~/x"}).out_dir == tmp_path / "x"
    for bad in ("~", "/", str(tmp_path), f"{tmp_path}/a/.."):
        with pytest.raises(AgentError, match="itself; give a folder of its own"):
            load_config(environ=env, overrides={"out_dir": Path(bad)})
