"""A wall-clock budget per operation: the last guard against work that runs far longer than it
should (a pathological melody, a lyric the drafter cannot fit), after the input limits
(tokenization/limits.py) and the argument checks (agent/edge.py) have done their part.

An operation makes one `Budget` when it starts and calls `check()` between its steps (a sampling
round, a lyric line, a melody window); past the deadline it stops with one ToolError that says
what ran out, before any file is written.  The budgets are generous: a normal request uses a few
percent of its budget even on a loaded 2-core machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .errors import ToolError

BUDGETS_S = {"melody": 120.0, "lyrics": 180.0}  # one place for every operation's budget


@dataclass(frozen=True, slots=True)
class Budget:
    """The deadline of one operation (`what`: a key of BUDGETS_S)."""

    what: str
    seconds: float
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def start(cls, what: str) -> Budget:
        return cls(what=what, seconds=BUDGETS_S[what])

    def check(self, doing: str = "") -> None:
        """Raise when the budget is spent; `doing` says where it ran out ('line 12')."""
        spent = time.monotonic() - self.started
        if spent > self.seconds:
            at = f" at {doing}" if doing else ""
            raise ToolError(f"the {self.what} took longer than its {self.seconds:g} s budget and was stopped{at}; "
                            "nothing was written: try fewer bars, another seed or a shorter melody")
