"""Run one command line in a fresh process with a time limit and an address-space cap, and say how it ended.

Classes (the issue-17 table): clean error (exit 1 or 2, no traceback), success (exit 0), traceback
(a Python traceback on stderr or stdout), hang (still running at the timeout, and again at the longer
retry timeout), memory (MemoryError, an allocation failure under the cap, or a peak RSS over
MEMORY_LIMIT), crash (killed by a signal or any other exit code).

`baseline_tree(rev)` extracts another revision of the package (git archive) so the same cases run
against it with PYTHONPATH in the same run: the before/after figures come from one script.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("agent", "eval", "finetune", "prompts", "tokenization", "tools")
ADDRESS_CAP = 3 << 30  # RLIMIT_AS: a runaway allocation fails here instead of taking the machine
MEMORY_LIMIT = 2 << 30  # peak RSS above this counts as "memory" even when the run ended well
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
CLASSES = ("clean error", "success", "traceback", "hang", "memory", "crash")
_MEMORY_SIGNS = ("MemoryError", "std::bad_alloc", "Cannot allocate memory", "Unable to allocate",
                 "out of memory", "Maximum allowed dimension exceeded")


@dataclass(frozen=True, kw_only=True)
class Ran:
    """One finished (or stopped) run."""

    kind: str
    code: int | None
    seconds: float
    peak_rss: int  # bytes
    last_line: str
    escapes: bool = False  # the output holds an escape sequence or a control character (other than \t \n)
    stdout_json: bool | None = None  # with --json: stdout is one JSON document and nothing else

    def as_dict(self) -> dict:
        return asdict(self)


def _limits(cap: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        os.setsid()  # its own process group, so a timeout stops its children too

    return apply


def classify(code: int | None, out: str, err: str, *, peak_rss: int, timed_out: bool) -> str:
    """The class of a run from its exit code, output and peak memory."""
    text = out + "\n" + err
    if timed_out:
        return "hang"
    if any(sign in text for sign in _MEMORY_SIGNS) or peak_rss > MEMORY_LIMIT:
        return "memory"
    if "Traceback (most recent call last)" in text:
        return "traceback"
    if code == 0:
        return "success"
    if code in (1, 2, 3):
        return "clean error"
    return "crash"


class _Popen(subprocess.Popen):
    """Popen that keeps the child's own rusage from wait4 (RUSAGE_CHILDREN only gives the largest child so far)."""

    def _try_wait(self, wait_flags):  # type: ignore[override]
        try:
            pid, status, usage = os.wait4(self.pid, wait_flags)
        except ChildProcessError:
            return self.pid, 0
        if pid:
            self.rusage = usage
        return pid, status



def run_case(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float, stdin: str = "",
             cap: int = ADDRESS_CAP) -> Ran:
    """Run `python argv…` (argv[0] is a script or -m), capped and timed; a Ran."""
    started = time.perf_counter()
    proc = _Popen([sys.executable, *argv], cwd=cwd, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_limits(cap))
    timed_out = False
    try:
        out, err = proc.communicate(stdin.encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    peak = _peak_rss(proc)
    out_text, err_text = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    kind = classify(proc.returncode, out_text, err_text, peak_rss=peak, timed_out=timed_out)
    lines = [line for line in (err_text or out_text).strip().splitlines() if line.strip()]
    as_json = None
    if "--json" in argv and proc.returncode == 0:
        try:
            json.loads(out_text)
            as_json = True
        except ValueError:
            as_json = False
    return Ran(kind=kind, code=proc.returncode, seconds=round(time.perf_counter() - started, 2), peak_rss=peak,
               last_line=(lines[-1] if lines else "")[:300], escapes=bool(_CONTROL.search(out_text + err_text)),
               stdout_json=as_json)


def _peak_rss(proc: subprocess.Popen) -> int:
    """Peak RSS of the finished child (bytes), from the rusage its wait4 returned."""
    usage = getattr(proc, "rusage", None)
    return int(usage.ru_maxrss * 1024) if usage is not None else 0


def baseline_tree(rev: str, *, into: Path | None = None) -> Path:
    """A folder holding `tunesmith/` as it was at git revision `rev` (for PYTHONPATH)."""
    root = Path(into or tempfile.mkdtemp(prefix="tunesmith-base-"))
    package = root / "tunesmith"
    package.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, *PACKAGES],
                             check=True, capture_output=True).stdout
    with tempfile.TemporaryFile() as handle:
        handle.write(archive)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            tar.extractall(package, filter="data")
    return root


def environment(*, home: Path, source: Path | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The child's environment: its own TUNESMITH_HOME and HOME, the shipped checkpoints, and the
    package from `source` (a baseline_tree) instead of this tree when given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUNESMITH_")}
    env.update(TUNESMITH_HOME=str(home), HOME=str(home), TUNESMITH_CHECKPOINTS=str(ROOT / "checkpoints"),
               PYTHONDONTWRITEBYTECODE="1", COLUMNS="100", **(extra or {}))
    env.pop("PYTHONPATH", None)
    if source is not None:
        env["PYTHONPATH"] = str(source)
    return env


def tally(kinds: list[str]) -> dict[str, int]:
    return {kind: kinds.count(kind) for kind in CLASSES}


def run_retrying(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float, stdin: str = "") -> Ran:
    """run_case, and once more at 3x the timeout when it hangs: a slow run on a loaded machine is not a hang."""
    ran = run_case(argv, env=env, cwd=cwd, timeout=timeout, stdin=stdin)
    return run_case(argv, env=env, cwd=cwd, timeout=3 * timeout, stdin=stdin) if ran.kind == "hang" else ran


def over_revision(rev: str, selected: list[dict], one: Callable[[dict, Path], dict], *,
                  jobs: int) -> tuple[list[dict], float]:
    """`one(case, source)` for every case against revision `rev` (extracted by baseline_tree),
    `jobs` at a time; (the results in case order, wall seconds)."""
    source = baseline_tree(rev)
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(lambda case: one(case, source), selected))
    finally:
        shutil.rmtree(source, ignore_errors=True)
    return results, round(time.perf_counter() - started, 1)


def resolve(rev: str) -> str:
    """A revision's short hash (what the reports record)."""
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], check=True, capture_output=True,
                          text=True).stdout.strip()
