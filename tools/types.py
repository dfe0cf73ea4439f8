"""Result types of the theory checks: a Finding per issue and a Report per checked piece.

A finding is advice, not a verdict: real music trips naive checks (Bach has parallel
fifths), so only `error` means "broken, do not show this"; warnings are ranked hints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..tokenization.music import KeySpec

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Finding:
    """One observation: a stable code, a severity, one plain line, bars (1-based) and a number."""

    code: str
    severity: Severity
    message: str
    bars: tuple[int, ...] = ()
    value: float | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")
        if "\n" in self.message:
            raise ValueError("a finding's message is one line")

    def __str__(self) -> str:
        return f"{self.severity:<7} {bars_label(self.bars):<12} {self.message}"


def bars_label(bars: tuple[int, ...], *, limit: int = 6) -> str:
    """Bars for people: 'bar 3', 'bars 1, 4', 'bars 1, 2, 3 …' when long.

    >>> bars_label(()), bars_label((3,)), bars_label((1, 4)), bars_label(tuple(range(1, 10)), limit=3)
    ('', 'bar 3', 'bars 1, 4', 'bars 1, 2, 3 …')
    """
    if not bars:
        return ""
    if len(bars) == 1:
        return f"bar {bars[0]}"
    shown = ", ".join(str(b) for b in bars[:limit])
    return f"bars {shown}{' …' if len(bars) > limit else ''}"


def sort_findings(findings) -> tuple[Finding, ...]:
    """Errors first, then warnings, then info; within a severity by first bar (bar-less first).

    >>> [f.code for f in sort_findings([Finding("b", "info", "x"), Finding("a", "error", "y", (4,)),
    ...                                  Finding("c", "warning", "z", (2,)), Finding("d", "warning", "w", (1, 9))])]
    ['a', 'd', 'c', 'b']
    """
    return tuple(sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.bars[:1] or (0,))))


@dataclass(frozen=True, slots=True)
class Report:
    """All findings for one melody, song or score, sorted.

    `key` is the key the checks assumed (the requested or declared one, else the estimate);
    `estimated_key` and `clarity` are music21's estimate, so callers need not run it again;
    `checked` names the checks that ran.
    """

    findings: tuple[Finding, ...] = ()
    key: KeySpec | None = None
    checked: tuple[str, ...] = field(default=())
    estimated_key: KeySpec | None = None
    clarity: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", sort_findings(self.findings))

    @property
    def ok(self) -> bool:
        """True when nothing is broken (warnings and info are allowed)."""
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    def codes(self, severity: str | None = None) -> list[str]:
        """Finding codes in report order, optionally of one severity (handy in tests and logs)."""
        return [f.code for f in self.findings if severity is None or f.severity == severity]

    def summary(self, *, max_lines: int = 8) -> str:
        """A few lines for the terminal: a headline, then the most important findings."""
        n_err, n_warn = len(self.errors), len(self.warnings)
        head = "ok" if self.ok else "needs fixing"
        key = f", key {self.key}" if self.key else ""
        lines = [f"Theory check: {head} ({_plural(n_err, 'error')}, {_plural(n_warn, 'warning')}{key})"]
        shown = list(self.findings[:max_lines])
        lines += [f"  {finding}" for finding in shown]
        if len(self.findings) > len(shown):
            lines.append(f"  … and {len(self.findings) - len(shown)} more")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        """Plain data for a tool result or a JSON line."""
        return {
            "ok": self.ok,
            "key": str(self.key) if self.key else None,
            "estimated_key": str(self.estimated_key) if self.estimated_key else None,
            "clarity": None if self.clarity is None else round(self.clarity, 3),
            "findings": [
                {"code": f.code, "severity": f.severity, "message": f.message, "bars": list(f.bars), "value": f.value}
                for f in self.findings
            ],
        }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
