"""The song state of one chat session: what the person asked for and what has been made.

Settings (style, mood, key, mode, meter, tempo) are the person's wishes for the next
melody; `song` is the current music (melody, chords, lyrics on notes); `files` are the
latest files written for it.  Every tool reads a SongState and returns a new one, so a
turn can be undone by keeping the state from before it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ...tokenization.errors import MusicValueError
from ...tokenization.music import KeySpec, Meter, Song, parse_key, parse_meter
from ...tokenization.records import record_to_song, song_to_record
from ...tokenization.pitch import MODES
from ...tokenization.styles import get_style, mood_of
from ..errors import ToolError


@dataclass(frozen=True, slots=True)
class SongState:
    """Settings for the next melody plus the current song and its files ((kind, path) pairs)."""

    style: str | None = None
    mood: str | None = None
    key: KeySpec | None = None
    mode: str | None = None
    meter: Meter | None = None
    tempo: int | None = None
    song: Song | None = None
    files: tuple[tuple[str, str], ...] = ()

    @property
    def has_melody(self) -> bool:
        return self.song is not None and bool(self.song.melody.notes)

    def settings_line(self) -> str:
        """'style irish-jig, mood sad, key D minor, meter 6/8, tempo 116 bpm' (only what is set)."""
        parts = [f"style {self.style}" if self.style else "", f"mood {self.mood}" if self.mood else "",
                 f"key {self.key}" if self.key else (f"mode {self.mode}" if self.mode else ""),
                 f"meter {self.meter}" if self.meter else "", f"tempo {self.tempo} bpm" if self.tempo else ""]
        return ", ".join(p for p in parts if p) or "nothing set yet"


def update_settings(state: SongState, *, style: str | None = None, mood: str | None = None,
                    key: str | None = None, mode: str | None = None, meter: str | None = None,
                    tempo: int | None = None, adapters: tuple[str, ...] = ()) -> SongState:
    """A state with the given settings changed (None leaves a setting as it is).

    A mode without a key re-modes the current key ("D major" + minor -> D minor).
    `adapters` are style names trained by the person (`tunesmith adapt`).

    >>> s = update_settings(SongState(), style="jig", key="D", tempo=120)
    >>> s.settings_line()
    'style irish-jig, key D major, tempo 120 bpm'
    >>> update_settings(s, mode="minor").key
    KeySpec(tonic='D', mode='minor')
    """
    try:
        changes: dict[str, Any] = {}
        if style:
            changes["style"] = style if style in adapters else get_style(style).name
        if mood:
            changes["mood"] = mood.strip().lower()
        if mode and mode.strip().lower() not in MODES:
            raise ToolError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        mode = mode.strip().lower() if mode else None
        if key:  # a key written without a mode takes the mood's mode ("sad, in D" -> D minor)
            mood_mode = mood_of(changes.get("mood") or state.mood or "").mode
            changes["key"] = parse_key(key, mode=mode or mood_mode)
            changes["mode"] = None
        elif mode:
            current = state.key
            changes.update(key=KeySpec(current.tonic, mode) if current else None, mode=None if current else mode)
        if meter:
            changes["meter"] = parse_meter(meter)
        if tempo is not None:
            if not 20 <= int(tempo) <= 400:
                raise ToolError(f"tempo {tempo} bpm is outside 20-400")
            changes["tempo"] = int(tempo)
    except MusicValueError as err:
        raise ToolError(str(err)) from err
    return replace(state, **changes)


def melody_controls(state: SongState) -> dict[str, Any]:
    """Keyword arguments for tools.melody.request.build_request from the settings and the mood.

    A mood fills in what the person did not say: a mode (when no key or mode is set) and a
    tempo factor on the style's usual tempo (when no tempo is set), as tokenization/styles.toml lists them.

    >>> melody_controls(SongState(style="irish-air", mood="sad"))
    {'style': 'irish-air', 'key': None, 'mode': 'minor', 'meter': None, 'tempo': 58}
    """
    hint = mood_of(state.mood or "")
    hint_mode, factor = hint.mode, hint.tempo
    tempo = state.tempo
    if tempo is None and factor != 1.0:
        base = 100
        if state.style:
            try:
                base = get_style(state.style).tempo
            except MusicValueError:  # a person's own style: no default tempo known
                pass
        tempo = max(20, min(400, round(base * factor)))
    mode = None if state.key else (state.mode or hint_mode)
    return {"style": state.style, "key": state.key, "mode": mode, "meter": state.meter, "tempo": tempo}


def with_song(state: SongState, song: Song, files: dict[str, Any] | None = None) -> SongState:
    """The state after a tool made a new version of the song (old files no longer describe it)."""
    listed = tuple((kind, str(path)) for kind, path in (files or {}).items())
    return replace(state, song=song, files=listed)


def add_files(state: SongState, files: dict[str, Any]) -> SongState:
    """The state with more files for the same song (an export or a rendering); a kind is replaced."""
    kept = dict(state.files)
    kept.update({kind: str(path) for kind, path in files.items()})
    return replace(state, files=tuple(kept.items()))


def describe(state: SongState) -> str:
    """The /show text: settings, the song as ABC with chords and lyrics, and the files."""
    from ...tokenization.view import render_terminal

    lines = [f"Settings: {state.settings_line()}"]
    if state.song is None:
        lines.append("No melody yet.")
    elif not state.song.melody.notes:
        from ...tokenization.view import chord_chart

        lines.append(f"Chords ({state.song.melody.bars} bars, no melody yet):")
        lines.append(chord_chart(state.song))
    else:
        lines.append(render_terminal(state.song).rstrip())
    if state.files:
        lines.append("Files:")
        lines += [f"  {kind}: {path}" for kind, path in state.files]
    return "\n".join(lines)


def song_summary(state: SongState) -> str:
    """One line about the current song for the system prompt."""
    song = state.song
    if song is None:
        return "no melody yet"
    melody = song.melody
    what = f"{melody.bars} bars" + ("" if melody.notes else " of chords, no melody")
    key = f" in {melody.key}" if melody.key else ""
    extras = [f"{len(song.chords)} chords" if song.chords else "no chords", "lyrics" if song.has_lyrics else "no lyrics"]
    from ...tokenization.view import tempo_text

    return f"{what}{key}, {melody.meter}, {tempo_text(melody)}, {', '.join(extras)}"


def state_to_dict(state: SongState) -> dict[str, Any]:
    """Plain JSON data (the song as a corpus record)."""
    song = None
    if state.song is not None:
        song = song_to_record(state.song, record_id="session", source="session",
                              styles=[state.song.style] if state.song.style else [], seed=state.song.seed)
    return {"style": state.style, "mood": state.mood, "key": str(state.key) if state.key else None,
            "mode": state.mode, "meter": str(state.meter) if state.meter else None, "tempo": state.tempo,
            "song": song, "files": [list(pair) for pair in state.files]}


def state_from_dict(data: dict[str, Any]) -> SongState:
    """The inverse of state_to_dict."""
    song = None
    if data.get("song"):
        song = replace(record_to_song(data["song"]), seed=data["song"].get("seed"))
    return SongState(style=data.get("style"), mood=data.get("mood"),
                     key=parse_key(data["key"]) if data.get("key") else None, mode=data.get("mode"),
                     meter=parse_meter(data["meter"]) if data.get("meter") else None, tempo=data.get("tempo"),
                     song=song, files=tuple((k, p) for k, p in data.get("files", [])))
