"""Bar structure of a parsed piece: which short bars are legitimate, repeats, the bar grid.

A melody record has no bar lines, only onsets, so every bar must start on a multiple
of the bar length (after the pickup).  Short bars are legitimate where a repeat or
section line splits a bar (the end of a part that completes the pickup, first/second
endings) and are padded with a rest once the repeats are written out; a short bar in
the middle of a phrase means the meter really changes (Essen writes 4/2 bars inside
6/2 songs without saying so) and the piece is skipped.
"""

from __future__ import annotations

import math

_EPS = 1e-6


def pickup_length(measures, bar_length: float) -> float:
    """Quarter lengths missing from the first bar (0 when it is full or the only one)."""
    first = measures[0]
    if first.paddingLeft:
        return float(first.paddingLeft)
    length = first.duration.quarterLength
    return bar_length - length if len(measures) > 1 and 0 < length < bar_length - _EPS else 0.0


def _at_section_line(*measures) -> bool:
    """Whether a bar line touching these consecutive measures is a repeat, double or final bar."""
    from music21 import bar

    for measure in measures:
        for line in (measure.leftBarline, measure.rightBarline):
            if isinstance(line, bar.Repeat) or (line is not None and line.type not in ("regular", "normal")):
                return True
        if measure.getSpannerSites("RepeatBracket"):
            return True
    return False


def irregular_bar(measures, bar_length: float) -> str | None:
    """Describe the first inner bar that is short for no notated reason; None when all are fine."""
    lengths = [m.duration.quarterLength for m in measures]
    for index in range(1, len(measures) - 1):
        length = lengths[index]
        if length >= bar_length - _EPS:
            continue
        if min(abs(lengths[index - 1] + length - bar_length), abs(length + lengths[index + 1] - bar_length)) < _EPS:
            continue  # one bar split in two by a section line
        if _at_section_line(*measures[index - 1:index + 2]):
            continue
        return f"bar {measures[index].number} holds {float(length):g} of {bar_length:g} quarters"
    return None


def imply_start_repeats(measures, bar_length: float) -> None:
    """ABC's ':|' without '|:' repeats back to the previous ':|' (or the start); write that in.

    music21 instead repeats from the very start each time, so a tune of five repeated
    parts (Aird's 'Yanky Doodle') grew to 16,000 bars.  A part that opens with a short
    pickup bar is replayed without it when the part ends on a full bar (the pickup is
    written again at its end) and with it when the last bar is short (it completes the pickup).
    """
    from music21 import bar

    open_start, section = False, 0
    for index, measure in enumerate(measures):
        left, right = measure.leftBarline, measure.rightBarline
        if isinstance(left, bar.Repeat) and left.direction == "start":
            open_start = True
        if isinstance(right, bar.Repeat) and right.direction == "end":
            target = section
            while target < index and measures[target].getSpannerSites("RepeatBracket"):
                target += 1
            short_start = measures[target].duration.quarterLength < bar_length - _EPS
            if short_start and target < index and measure.duration.quarterLength >= bar_length - _EPS:
                target += 1
            if not open_start and 0 < target <= index:
                measures[target].leftBarline = bar.Repeat(direction="start")
            open_start, section = False, index + 1


def align_measures(part, bar_length: float) -> bool:
    """Move measures so each starts on a bar line; a short bar (end of a repeat) gets a rest.

    Two short bars that make one full bar between them (a bar split by a repeat sign)
    stay together.  Returns whether anything moved.
    """
    measures = list(part.getElementsByClass("Measure"))
    if len(measures) < 2:
        return False
    shift, pos, moved = pickup_length(measures, bar_length), 0.0, False
    for index, measure in enumerate(measures):
        if abs(measure.offset - pos) > _EPS:
            part.setElementOffset(measure, pos)
            moved = True
        end = pos + measure.duration.quarterLength
        phase = math.fmod(end + shift, bar_length)
        following = measures[index + 1].duration.quarterLength if index + 1 < len(measures) else None
        if index == 0 or min(phase, bar_length - phase) < _EPS:
            pos = end
        elif following is not None and abs(phase + following - bar_length) < _EPS:
            pos = end
        else:
            pos = end + bar_length - phase
    if moved:
        part.coreElementsChanged()
    return moved
