"""Chord recommendation: harmonize a melody, with alternatives and reasons; progressions without one.

Lead-sheet styles go to the folk HMM by default (tools/chords/folk.py: emission and transition
tables fitted on the Nottingham development tunes, plus the rule fit below at a tuned weight),
decoded per half bar so the chord changes inside a bar only where the melody asks; `per` forces
a rate.  Pop and jazz-lite bend those tables as chord_styles.toml says (vi-IV loops; sevenths
and ii-V).  Chorales (or scorer="rules") use the hand-set scorer:
it scores every candidate chord of the style in every slot (a bar, half bar or
beat) by how the melody sits on it (chord tones, passing notes that resolve, consonance,
tonal-centroid distance), how likely it is in the style (Bach's Roman-numeral bigrams for
chorales, a triad prior for lead sheets), cadences at phrase ends and, when the runtime
has the `harmony` adapter, the learned model's log-probabilities.  The k best complete
progressions come from a k-best Viterbi (the folk HMM's own chart, first, is the path of the
most probable root per slot: search.root_path); the alternatives of one slot from max-marginals.
Every chord is spelled by music21 and checked by theory.check_song; clashing bars are
re-decoded without the clashing chord.  Submodules: chords_vocab (chords in a key),
chords_prior, chords_score, chords_search, chords_explain, chords_progressions.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ...tokenization.music import ChordEvent, KeySpec, Melody, Song
from .bass import with_bass_line
from .explain import alternative_reason, chosen_reason, melody_names
from .prior import change_rate, transition_logprobs, unigram_logprobs
from .progressions import progressions
from .score import Slot, Weights, make_slots, unary_scores
from .search import kbest_paths, max_marginals, path_score, root_path
from .types import ChordOption, ChordResult, ChordSlot, Progression
from .pickup import find_pickup, shifted
from .chord_styles import Bend, bend_tables, style_for
from .folk import folk_chords, folk_scores, load_tables, mode_family
from .vocab import CHORALE, LEAD_SHEET, Chord, candidate_chords, parallel_mode, style_family
from ..errors import ToolError
from ..theory.check import check_chord_fit, check_song
from ..theory.key import beat_length, estimate_key, resolve_key

__all__ = ["recommend_chords", "progressions", "ChordResult", "HARMONY_ADAPTER", "Weights"]

HARMONY_ADAPTER = "harmony"
RULES, FOLK = "rules", "folk-hmm"
SCORERS = (None, RULES, FOLK)
CLASH_PENALTY = 4.0
VARIETY = 0.4  # scale of the seeded noise that makes seed != 0 a variation


def _resolve(song_or_melody: Song | Melody, style: str | None, per: str | None,
             key: KeySpec | str | None) -> tuple[Song, str, str, str, KeySpec]:
    if isinstance(song_or_melody, Melody):
        song = Song(melody=song_or_melody)
    elif isinstance(song_or_melody, Song):
        song = song_or_melody
    else:
        raise ToolError(f"recommend_chords needs a Song or a Melody, not {type(song_or_melody).__name__}")
    if not song.melody.notes:
        raise ToolError("the melody has no notes, so there is nothing to harmonize")
    style = style or song.style or "lead-sheet"
    family = style_family(style)
    per = per or style_for(style, family).per or ("beat" if family == CHORALE else "bar")
    chosen_key = resolve_key(key) or song.melody.key or estimate_key(song.melody)[0]
    return song, style, family, per, chosen_key


def _song_style(song: Song, style: str, family: str) -> str | None:
    """The style label the harmonized song keeps: its own, else a corpus style name (not 'folk')."""
    from ...tokenization.styles import STYLE_NAMES

    if song.style:
        return song.style
    if family == CHORALE:
        return "bach-chorale"
    return style if style in STYLE_NAMES else None


def _model_scores(runtime, melody: Melody, slots: list[Slot], chords: tuple[Chord, ...], *, family: str,
                  history: list[int] | None) -> np.ndarray:
    """log P_model(chord | melody, earlier chords) per slot, renormalised over the candidates.

    The earlier chords are the rule-based path (teacher-forced, one forward pass); with
    history=None the model's own greedy path (one pass per slot; no better on valid)."""
    from ...finetune.harmony.model import STYLE, chord_ids, chord_logprobs
    from ...tokenization.vocab import chord_token

    codec = runtime.codec
    ids = chord_ids(codec)
    column = {token_id: i for i, token_id in enumerate(ids)}
    cand = [column[codec.token_to_id(chord_token(c.root, c.quality))] for c in chords]
    key = melody.key
    prompt_melody = replace(melody, key=KeySpec(key.tonic, parallel_mode(key.mode)))
    spans = [(s.onset, s.duration) for s in slots]
    history_ids = [ids[cand[c]] for c in history] if history is not None else None
    allowed = set(cand)
    with runtime.session(HARMONY_ADAPTER) as active:
        rows, _ = chord_logprobs(active.model, codec, prompt_melody, spans,
                                 style=STYLE if family == CHORALE else None, history=history_ids,
                                 choose=lambda _slot, row: max(allowed, key=row.__getitem__))
    table = np.array(rows)[:, cand]
    return table - np.logaddexp.reduce(table, axis=1, keepdims=True)


def uses_folk(style: str, family: str) -> bool:
    """Whether a style is harmonized by the folk HMM by default (chord_styles.toml: all but chorales)."""
    return style_for(style, family).scorer == FOLK


def _folk_scores(melody: Melody, key: KeySpec, per: str, weights: Weights, notes: list[str], bend: Bend | None):
    """Slots, chords, unary and per-slot transition scores of the fitted folk HMM (plus the rule fit),
    bent by the style, and the pickup shift found.  When the melody seems to start with a pickup its
    file does not mark (MIDI), the slots follow the melody's own downbeats (found with the fitted
    tables, so every style bars a melody alike); the melody itself is not moved."""
    families, folk_weights, fitted = load_tables()
    fitted_tables = families[mode_family(key.mode)]
    tables = bend_tables(fitted_tables, bend)
    chords = folk_chords(key, tables)
    shift = find_pickup(melody, key, tables=fitted_tables, weights=folk_weights, prior=fitted["pickup_prior"])
    moved = shifted(melody, shift)
    slots = make_slots(moved, per)
    unary, transition = folk_scores(moved, slots, key, per, tables=tables, weights=folk_weights)
    rules, fits = unary_scores(slots, chords, np.zeros(len(chords)), weights)
    if shift:
        beat = beat_length(melody)
        pickup = (melody.bar_length - shift) / beat
        notes.append(f"the melody seems to start with a {pickup:g}-beat pickup (its file marks none), so the "
                     f"chords change on its downbeats: beat {pickup + 1:g} of the file's bars")
        slots = [_moved_slot(slot, -shift, melody) for slot in slots]
    return slots, chords, unary + folk_weights.rules * rules, transition, fits, shift


def _moved_slot(slot: Slot, by: float, melody: Melody) -> Slot:
    onset = max(0.0, slot.onset + by)
    end = min(slot.end + by, melody.length)
    beat = round((onset % melody.bar_length) / beat_length(melody) + 1, 3)
    return replace(slot, onset=onset, duration=end - onset, bar=melody.bar_of(onset), beat=beat)


def _rule_scores(melody: Melody, key: KeySpec, family: str, per: str, weights: Weights, runtime, notes: list[str]):
    """Slots, chords, scores and scorer name of the hand-set scorer (plus the harmony adapter, if any)."""
    slots = make_slots(melody, per)
    chords = candidate_chords(key, family)
    unigram = unigram_logprobs(chords, family, key.mode)
    transition = weights.transition * transition_logprobs(chords, family, key.mode, change=change_rate(family, per))
    unary, fits = unary_scores(slots, chords, unigram, weights)
    scorer = RULES
    if runtime is not None and runtime.has_adapter(HARMONY_ADAPTER):
        from ...finetune.errors import FinetuneError
        from ...tokenization.errors import TokenizationError

        rule_path = kbest_paths(unary, transition, 1)[0][1]
        try:
            unary = unary + weights.model * _model_scores(runtime, melody, slots, chords, family=family,
                                                          history=rule_path)
            scorer = "rules+model"
        except (FinetuneError, TokenizationError) as err:
            notes.append(f"the harmony model could not read this melody ({err}); rule-based scores only")
    elif runtime is not None:
        notes.append("the checkpoint has no harmony adapter; rule-based scores only")
    return slots, chords, unary, transition, fits, scorer


def _on_bar(onset: float, melody: Melody) -> bool:
    bar = melody.bar_length
    return abs(onset / bar - round(onset / bar)) * bar < 1e-6


def _events(slots: list[Slot], chords: tuple[Chord, ...], path: list[int], *, merge: bool) -> tuple[ChordEvent, ...]:
    """Chord events of a path; with `merge`, a chord repeated in the next slot is held instead."""
    events: list[ChordEvent] = []
    for slot, c in zip(slots, path):
        chord = chords[c]
        if merge and events and events[-1].symbol == chord.symbol:
            last = events[-1]
            events[-1] = replace(last, duration=slot.end - last.onset)
        else:
            events.append(ChordEvent(symbol=chord.symbol, onset=slot.onset, duration=slot.duration, roman=chord.roman))
    return tuple(events)


def _clashing_slots(song: Song, slots: list[Slot]) -> list[int]:
    """Slots in the bars check_chord_fit flags as clashing."""
    bars = {b for f in check_chord_fit(song) if f.code == "chord_clash" for b in f.bars}
    return [t for t, s in enumerate(slots) if s.bar in bars]


def recommend_chords(song_or_melody: Song | Melody, *, per: str | None = None, style: str | None = None,
                     k: int = 3, runtime=None, key: KeySpec | str | None = None, seed: int = 0,
                     weights: Weights | None = None, scorer: str | None = None) -> ChordResult:
    """Chords for a melody: per slot the chosen chord and the top-k alternatives, plus k
    whole progressions.  `per` is "bar", "half" or "beat" (default: beat for chorales, and for the
    folk HMM (folk, pop, jazz-lite, the corpus styles) half-bar slots whose chords change inside a bar only where the
    melody asks: reported as "bar" when none does); `style` defaults to the song's; `scorer`
    "rules" or "folk-hmm" overrides the style's scorer; seed 0 is the best harmonization, other
    seeds are close variations."""
    started = time.perf_counter()
    if k < 1:
        raise ToolError(f"k must be at least 1, not {k}")
    if scorer not in SCORERS:
        raise ToolError(f"scorer {scorer!r}? use one of {', '.join(s for s in SCORERS if s)}")
    weights = weights or Weights()
    asked_per = per
    song, style, family, per, key = _resolve(song_or_melody, style, per, key)
    melody = replace(song.melody, key=key)
    notes: list[str] = []
    shift = 0.0
    if scorer == FOLK or (scorer is None and uses_folk(style, family)):
        bend = style_for(style, family).bends.get(mode_family(key.mode))
        slots, chords, unary, transition, fits, shift = _folk_scores(melody, key, asked_per or "half", weights,
                                                                     notes, bend)
        per, scorer = asked_per or "half", FOLK
    else:
        slots, chords, unary, transition, fits, scorer = _rule_scores(melody, key, family, per, weights, runtime,
                                                                      notes)
    if seed:
        unary = unary + VARIETY * np.random.default_rng(seed).gumbel(size=unary.shape)
    best, paths = None, []
    temperature = load_tables()[1].temperature if scorer == FOLK else 0.0
    roots = np.array([c.rel for c in chords])
    for _attempt in range(4):
        paths = kbest_paths(unary, transition, 6 * k)
        if temperature > 0:  # the folk chart: per slot the most probable root, not the best whole path
            chart = root_path(unary, transition, roots, temperature=temperature)
            paths = [(path_score(unary, transition, chart), chart), *(p for p in paths if p[1] != chart)]
        best = paths[0][1]
        trial = replace(song, melody=melody, chords=_events(slots, chords, best, merge=True))
        clashing = _clashing_slots(trial, slots)
        if not clashing:
            break
        for t in clashing:
            unary[t, best[t]] -= CLASH_PENALTY
    else:
        notes.append("some bars still clash with every chord the style allows")
    events = _events(slots, chords, best, merge=True)
    if asked_per is None and scorer == FOLK and all(_on_bar(e.onset + shift, melody) for e in events[1:]):
        per = "bar"  # the melody asked for no change inside a bar
    if family == CHORALE:  # chorales get a bass line: inversions where the bass moves better
        by_symbol = {c.symbol: c for c in chords}
        events = with_bass_line(melody, events, [by_symbol[e.symbol] for e in events], key)
    harmonized = replace(song, melody=melody, chords=events, style=_song_style(song, style, family))
    marginals = max_marginals(unary, transition)
    top = float(marginals[0].max())
    slot_results = []
    for t, slot in enumerate(slots):
        c = best[t]
        chosen = ChordOption(chords[c].symbol, chords[c].roman, float(fits[t, c]), 1.0,
                             chosen_reason(chords[c], slot.pcs, key, final=slot.final, phrase_end=slot.phrase_end,
                                           fit=float(fits[t, c])))
        ranked = [a for a in np.argsort(-marginals[t], kind="stable") if a != c][:k]
        alternatives = tuple(
            ChordOption(chords[a].symbol, chords[a].roman, float(fits[t, a]), float(np.exp(marginals[t, a] - top)),
                        alternative_reason(chords[a], chords[c], slot.pcs, key)) for a in ranked)
        slot_results.append(ChordSlot(bar=slot.bar, beat=slot.beat, onset=slot.onset, duration=slot.duration,
                                      melody=melody_names(slot.pcs, key), chosen=chosen, alternatives=alternatives))
    whole = _whole_progressions(paths, slots, chords, k=k, slots_meter=melody.meter)
    return ChordResult(song=harmonized, key=key, style=style, per=per, slots=tuple(slot_results),
                       progressions=whole, report=check_song(harmonized, key=key), scorer=scorer,
                       seconds=time.perf_counter() - started, notes=tuple(notes))


def _whole_progressions(paths: list[tuple[float, list[int]]], slots: list[Slot], chords: tuple[Chord, ...], *,
                        k: int, slots_meter) -> tuple[Progression, ...]:
    """The k best progressions that differ from each other in at least an eighth of the slots
    (at least one), so the alternatives are real alternatives."""
    spread = max(1, len(slots) // 8)
    picked: list[tuple[float, list[int]]] = []
    for score, path in paths:
        if all(sum(a != b for a, b in zip(path, other)) >= spread for _, other in picked):
            picked.append((score, path))
        if len(picked) == k:
            break
    best_path = picked[0][1]
    best_score = max(score for score, _ in picked)  # the folk chart is not always the best-scoring path
    found = []
    for rank, (score, path) in enumerate(picked):
        changed = sum(a != b for a, b in zip(path, best_path))
        reason = ("the recommended harmonization" if rank == 0 else
                  f"{changed} slot{'s' if changed != 1 else ''} differ from the first")
        found.append(Progression(chords=_events(slots, chords, path, merge=True),
                                 score=float(np.exp((score - best_score) / max(len(slots), 1))), reason=reason,
                                 meter=slots_meter))
    return tuple(found)
