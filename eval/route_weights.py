"""How much the chat adapter's vote should count against the router's when picking a task.

For every prompt of the given sets, the adapter's task probabilities (its first output bytes,
finetune.chat.embedded.adapter_task_probs) and the router's (finetune/chat/router.py) are computed
once; then the task picked by p_adapter ** w * p_router is scored for each weight w (w = 0 is the
router alone; a large w is the adapter alone).  Tune on the sets you develop with and report on a
set written afterwards.

    python -m tunesmith.eval.route_weights --sets dev,heldout,heldout-b --out eval/results/route_weights.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ..finetune.chat.embedded import CHAT_ADAPTER, adapter_task_probs
from ..finetune.chat.router import ROUTER_FILE, TOOL_TASKS, Router, combine
from .eval_routing import ROOT, load_prompts

WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 100.0)


def main(argv: list[str] | None = None) -> int:
    from ..finetune.lora import adapter_dir
    from ..finetune.runtime import load_runtime
    from ..finetune.text.pieces import PIECES_FILE, PieceTable

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, default=ROOT / "checkpoints" / "default")
    parser.add_argument("--sets", default="dev,heldout,heldout-b")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    runtime = load_runtime(args.checkpoint)
    folder = adapter_dir(args.checkpoint, CHAT_ADAPTER)
    pieces = PieceTable.load(folder) if (folder / PIECES_FILE).is_file() else None
    router = Router.load(folder) if (folder / ROUTER_FILE).is_file() else None
    if router is None:
        raise SystemExit(f"error: {folder} has no {ROUTER_FILE}")
    started = time.perf_counter()
    rows = []
    for name in (s.strip() for s in args.sets.split(",") if s.strip()):
        for prompt in load_prompts(name):
            adapter = adapter_task_probs(runtime, prompt["prompt"], list(TOOL_TASKS), pieces=pieces)
            rows.append({"set": name, "id": prompt["id"], "expect": prompt["expect"]["task"], "adapter": adapter,
                         "router": router.probs(prompt["prompt"])})
    report: dict = {"checkpoint": str(args.checkpoint), "prompts": len(rows),
                    "seconds": round(time.perf_counter() - started, 1), "by_weight": {}}
    for weight in WEIGHTS:
        by_set: dict[str, list[int]] = {}
        for row in rows:
            right = combine(row["adapter"], row["router"], weight=weight)[0] == row["expect"]
            by_set.setdefault(row["set"], []).append(right)
        report["by_weight"][str(weight)] = {s: round(sum(v) / len(v), 4) for s, v in by_set.items()}
        print(f"w={weight:<6} " + "  ".join(f"{s} {100 * sum(v) / len(v):5.1f}%" for s, v in by_set.items()))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
