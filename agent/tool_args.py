"""Argument schemas of the agent's tools (pydantic, as LangChain and the chat templates need).

Names and value forms follow ../shared/dev-prompts.jsonl: key "D" + mode "minor" or key
"D minor", meter "6/8", tempo in bpm, keep "1-4", per bar/half/beat, lang en/zh.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoArgs(_Args):
    """No arguments."""


class SetStyle(_Args):
    style: str | None = Field(None, description="a known style name, e.g. irish-jig, german-folk, chinese-han")
    mood: str | None = Field(None, description="a mood word, e.g. sad, happy, calm, energetic")
    key: str | None = Field(None, description="a key, e.g. 'D', 'D minor', 'F#m', 'Bb major'")
    mode: Literal["major", "minor", "dorian", "mixolydian"] | None = Field(None, description="the mode")
    meter: str | None = Field(None, description="a time signature, e.g. 6/8")
    tempo: int | None = Field(None, ge=20, le=400, description="tempo in quarter-note beats per minute")


class Melody(SetStyle):
    bars: int = Field(8, ge=1, le=64, description="how many bars to write")
    range: str | None = Field(None, description="pitch range like C4-A5, or soprano, alto, tenor, bass")
    seed: int | None = Field(None, description="random seed; the same seed gives the same melody")


class Seed(_Args):
    seed: int | None = Field(None, description="random seed; the same seed gives the same result")


class Continue(Seed):
    bars: int = Field(8, ge=1, le=32, description="how many new bars to add")


class Keep(Seed):
    keep: str = Field(description="the bars to keep, e.g. '1-4'")


class Chords(_Args):
    per: Literal["bar", "half", "beat"] | None = Field(None, description="one chord per bar, half bar or beat")
    k: int = Field(3, ge=1, le=5, description="how many alternatives and whole progressions")
    style: str | None = Field(None, description="bach-chorale, folk, lead-sheet, pop or a known style")
    key: str | None = Field(None, description="a key, e.g. 'A minor' (default: the melody's)")
    mode: Literal["major", "minor", "dorian", "mixolydian"] | None = Field(None, description="the mode")
    mood: str | None = Field(None, description="a mood word for a progression, e.g. sad, happy")
    bars: int | None = Field(None, ge=1, le=64, description="length of a progression when there is no melody")
    seed: int = Field(0, ge=0, description="0 gives the best harmonization; other seeds give variations")


class Lyrics(_Args):
    theme: str = Field(description="what the words are about")
    lang: Literal["en", "zh"] | None = Field(None, description="en (English) or zh (Chinese)")
    rhyme: str | None = Field(None, description="rhyme scheme, e.g. AABB or ABAB")


class Check(_Args):
    voice: Literal["soprano", "alto", "tenor", "bass"] | None = Field(None, description="check the range for a voice")


class Export(_Args):
    format: Literal["midi", "musicxml", "abc", "wav", "svg", "png", "all"] = Field(
        "all", description="which file to write; wav is audio, svg/png a score image")
