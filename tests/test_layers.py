"""The import direction the architecture promises, checked on every module's imports (lazy ones too).

prompts <- tokenization <- finetune <- tools <- agent; eval may import anything but agent;
only finetune (and eval's benchmarks) import torch/transformers/peft; only agent imports LangChain.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RANK = {"prompts": 0, "tokenization": 1, "finetune": 2, "tools": 3, "agent": 4}
PACKAGES = (*RANK, "eval")
HEAVY = ("torch", "transformers", "peft", "accelerate")


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in `path`, relative ones resolved."""
    package = list(path.relative_to(ROOT).with_suffix("").parts)
    package = package[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                found.append((node.lineno, ".".join(["tunesmith", *base, *(node.module or "").split(".")]).rstrip(".")))
            elif node.module:
                found.append((node.lineno, node.module))
    return found


def _modules() -> list[Path]:
    return sorted(p for top in PACKAGES for p in (ROOT / top).rglob("*.py"))


def _violations(path: Path) -> list[str]:
    top = path.relative_to(ROOT).parts[0]
    bad = []
    for line, module in _imports(path):
        parts = module.split(".")
        where = f"{path.relative_to(ROOT)}:{line} imports {module}"
        if parts[0] == "tunesmith" and len(parts) > 1:
            target = parts[1]
            if top == "eval":
                if target == "agent":
                    bad.append(where)
            elif target == "eval" or RANK.get(target, 0) > RANK[top]:
                bad.append(where)
        elif parts[0] in HEAVY and top not in ("finetune", "eval"):
            bad.append(where)
        elif parts[0].startswith("langchain") or parts[0] == "langgraph":
            if top != "agent":
                bad.append(where)
    return bad


def test_imports_go_one_way() -> None:
    bad = [v for path in _modules() for v in _violations(path)]
    assert not bad, "\n".join(bad)


def test_the_check_catches_an_upward_import(tmp_path, monkeypatch) -> None:
    planted = ROOT / "tools" / "_planted_layer_check.py"
    planted.write_text("def f():\n    from ..agent.cli import main\n    import langchain_core\n", encoding="utf-8")
    try:
        assert len(_violations(planted)) == 2
    finally:
        planted.unlink()


@pytest.mark.parametrize("top", PACKAGES)
def test_every_package_is_read(top: str) -> None:
    assert any(p.relative_to(ROOT).parts[0] == top for p in _modules())
