"""Best chord paths over slots: k-best Viterbi and per-slot max-marginals.

Scores are additive: unary[t, c] (how chord c fits slot t) plus transition[a, b] (how
chord b follows chord a), both in log-probability-like units; a transition of shape
[slots - 1, a, b] changes with the place (into slot t + 1: transition[t]).  The k best complete
progressions come from a list Viterbi (k best partial paths per state); the alternatives
for one slot come from max-marginals: the best total score of any path that uses chord c
at slot t, so an alternative is always judged together with the chords around it.  The
folk harmonizer's chart is the minimum-risk path instead (`root_path`): per slot the root
with the most posterior probability, which is what root agreement over time rewards.
"""

from __future__ import annotations

import numpy as np


def kbest_paths(unary: np.ndarray, transition: np.ndarray, k: int) -> list[tuple[float, list[int]]]:
    """The k highest-scoring paths as (score, chord index per slot), best first.

    >>> u = np.array([[1.0, 0.0], [0.0, 1.0]]); tr = np.zeros((2, 2))
    >>> [(s, p) for s, p in kbest_paths(u, tr, 2)]
    [(2.0, [0, 1]), (1.0, [0, 0])]
    """
    steps, n = unary.shape
    if steps == 0:
        return []
    k = max(1, min(k, n ** steps if steps < 8 else k))
    scores = np.full((n, k), -np.inf)
    scores[:, 0] = unary[0]
    pointers = []  # per step: (previous chord, previous rank) for each (chord, rank)
    for t in range(1, steps):
        options = (scores[:, :, None] + _step(transition, t)[:, None, :]).reshape(n * k, n)  # [(prev, rank), next]
        order = np.argsort(-options, axis=0, kind="stable")[:k]  # best k predecessors per next chord
        scores = np.take_along_axis(options, order, axis=0).T + unary[t][:, None]
        pointers.append(order.T)
    flat = np.argsort(-scores, axis=None, kind="stable")[:k]
    results = []
    for index in flat:
        c, rank = divmod(int(index), k)
        score = float(scores[c, rank])
        if not np.isfinite(score):
            continue
        path = [c]
        for back in reversed(pointers):
            prev, rank = divmod(int(back[c, rank]), k)
            c = prev
            path.append(c)
        results.append((round(score, 9), path[::-1]))
    return results


def max_marginals(unary: np.ndarray, transition: np.ndarray) -> np.ndarray:
    """[t, c] = best score of a full path through chord c at slot t (forward + backward Viterbi).

    >>> u = np.array([[1.0, 0.0], [0.0, 1.0]]); tr = np.zeros((2, 2))
    >>> max_marginals(u, tr).tolist()
    [[2.0, 1.0], [1.0, 2.0]]
    """
    steps, n = unary.shape
    forward = np.zeros((steps, n))
    backward = np.zeros((steps, n))
    forward[0] = unary[0]
    for t in range(1, steps):
        forward[t] = (forward[t - 1][:, None] + _step(transition, t)).max(axis=0) + unary[t]
    for t in range(steps - 2, -1, -1):
        backward[t] = (_step(transition, t + 1) + (unary[t + 1] + backward[t + 1])[None, :]).max(axis=1)
    return forward + backward


def posteriors(unary: np.ndarray, transition: np.ndarray, *, temperature: float) -> np.ndarray:
    """[t, c] = P(chord c at slot t) when the scores / temperature are log-potentials (forward-backward).

    >>> u = np.array([[1.0, 0.0], [0.0, 0.0]]); tr = np.log(np.array([[0.9, 0.1], [0.1, 0.9]]))
    >>> posteriors(u, tr, temperature=1.0).round(3).tolist()
    [[0.731, 0.269], [0.685, 0.315]]
    """
    steps, n = unary.shape
    u = unary / temperature
    forward = np.zeros((steps, n))
    backward = np.zeros((steps, n))
    forward[0] = u[0]
    for t in range(1, steps):
        forward[t] = np.logaddexp.reduce(forward[t - 1][:, None] + _step(transition, t) / temperature, axis=0) + u[t]
    for t in range(steps - 2, -1, -1):
        backward[t] = np.logaddexp.reduce(_step(transition, t + 1) / temperature + (u[t + 1] + backward[t + 1])[None, :],
                                          axis=1)
    both = forward + backward
    return np.exp(both - np.logaddexp.reduce(both, axis=1, keepdims=True))


def root_path(unary: np.ndarray, transition: np.ndarray, roots: np.ndarray, *, temperature: float) -> list[int]:
    """Per slot the root of most posterior mass; among paths on those roots, the best-scoring one
    (so F then F7 in one bar stays one chord where the scores say so).

    >>> u = np.array([[0.0, 0.6, 0.5]]); tr = np.zeros((3, 3))  # C, Am, A7: A wins on its two chords
    >>> root_path(u, tr, np.array([0, 9, 9]), temperature=1.0)
    [1]
    """
    post = posteriors(unary, transition, temperature=temperature)
    by_root = np.zeros((len(post), 12))
    np.add.at(by_root.T, roots, post.T)
    allowed = roots[None, :] == by_root.argmax(axis=1)[:, None]
    return kbest_paths(np.where(allowed, unary, -np.inf), transition, 1)[0][1]


def path_score(unary: np.ndarray, transition: np.ndarray, path: list[int]) -> float:
    """Total score of one path (unary plus transitions)."""
    total = float(sum(unary[t, c] for t, c in enumerate(path)))
    return total + float(sum(_step(transition, t)[a, b] for t, (a, b) in enumerate(zip(path, path[1:]), start=1)))


def _step(transition: np.ndarray, t: int) -> np.ndarray:
    """The transition matrix into slot t (one matrix for all slots, or one per slot)."""
    return transition[t - 1] if transition.ndim == 3 else transition
