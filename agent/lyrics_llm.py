"""A bigger LLM drafts lyric lines: any LangChain chat model behind the tools' `Drafter` protocol.

When a person configures Ollama, an OpenAI-compatible server or a local HF model, the agent
passes `LLMDrafter(chat_model)` to `tools.lyrics.write_lyrics`; the fitter still enforces the
syllable slots, stress and rhyme and asks again for lines that fail.  The model is asked for
several candidates per line (prompts/lyrics_line.txt) and its answer is parsed one line per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..prompts import render

_BULLET = re.compile(r"^\s*(?:[-*•]+|\d+[.):]|\(\d+\))\s*")
_LANGUAGES = {"en": "English", "zh": "Mandarin Chinese (simplified characters)"}


def parse_lines(text: str, *, limit: int = 12) -> list[str]:
    """Candidate lines from a chat answer: bullets, numbers and quotes dropped, blank rows skipped.

    >>> parse_lines('Here are lines:\\n1. "Down the long road home"\\n- Morning light is gone\\n')
    ['Here are lines:', 'Down the long road home', 'Morning light is gone']
    """
    out: list[str] = []
    for row in text.splitlines():
        line = _BULLET.sub("", row).strip().strip("\"'“”‘’「」").strip()
        if line and line not in out:
            out.append(line)
    return out[:limit]


def _content(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, list):  # content blocks
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content)


@dataclass
class LLMDrafter:
    """Drafts lines with a LangChain chat model (`invoke(str) -> message`)."""

    chat_model: Any
    candidates: int = 5
    name: str = "configured LLM"

    def prompt(self, *, theme: str, syllables: int, stress_pattern: str, rhyme_with: str | None, lang: str,
               contour: str = "", previous: str = "") -> str:
        zh = lang == "zh"
        rhyme = (f", and its last {'character' if zh else 'word'} must rhyme with '{rhyme_with}'"
                 f" (not the same {'character' if zh else 'word'})." if rhyme_with else ".")
        stress = ("Let the tones follow the melody: a higher tone (1 or 4) where it rises, tone 3 where it falls."
                  if zh else
                  "Put stressed syllables on the high digits and never put 'the', 'a', 'of', 'and' on a 4.")
        return render("lyrics_line", candidates=self.candidates, language=_LANGUAGES.get(lang, lang), theme=theme,
                      count=syllables, unit="Chinese characters" if zh else "syllables", rhyme_rule=rhyme,
                      unit_singular="character" if zh else "syllable", stress_pattern=stress_pattern,
                      stress_rule=stress, contour=contour or "none",
                      previous=previous or "(none: this is the first line)")

    def draft_line(self, *, theme: str, syllables: int, stress_pattern: str, rhyme_with: str | None,
                   lang: str, seed: int, contour: str = "",
                   previous: str = "", verse: tuple[str, ...] = ()) -> list[str]:
        prompt = self.prompt(theme=theme, syllables=syllables, stress_pattern=stress_pattern,
                             rhyme_with=rhyme_with, lang=lang, contour=contour, previous=previous)
        try:
            answer = self.chat_model.invoke(prompt)
        except Exception as err:  # the provider's own error types vary; write_lyrics reports ValueError
            raise ValueError(f"the chat model could not draft a line: {err}") from err
        return parse_lines(_content(answer))
