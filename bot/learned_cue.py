"""A cue learned from labelled whole messages, for what rules cannot list.

Hand-written patterns catch the wordings someone thought of; a person in crisis
finds words nobody listed ("whit's the quickest way oot o aw this"). A logistic
regression over the message's word stems and word pairs, trained on messages
labelled as saying the cue or not, hears wordings near those it learned from.

The messages are data in the knowledge folder (``learned-cue``); this module is
the engine only. Training is deterministic (each message's place in the training
order comes from a digest of its text), so one knowledge folder always gives the
same model, and it is cached per training set, so reloading unchanged knowledge
does not train again.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.text import normalize, stem, words_of

__all__ = ["LearnedModel", "message_features", "train_model"]

# Passes over the messages, step size and weight decay, chosen on messages held out
# by writer (five folds of the stored sets): eight passes with this decay gave a
# fifth fewer false crises than four, and twelve little more. The step is large
# because each word's share of the logit is divided by the root of the message's
# feature count (see `_scale`).
_PASSES = 8
_STEP = 2.0
_DECAY = 1e-4
# The bias moves slower than the word weights, so that a rare word, not the prior,
# carries a message.
_BIAS_STEP = 0.1
_SALT = b"learned-cue"  # fixed: the same messages always train in the same order
_LIMIT = 30.0  # logits beyond this are certain either way; exp() must not overflow


def message_features(text: str) -> frozenset[str]:
    """Return the stems of a message, its adjacent stem pairs and pairs one word apart.

    >>> sorted(message_features("no point going"))
    ['going', 'no', 'no _ going', 'no point', 'point', 'point going']
    """
    stems = [stem(w) for w in words_of(normalize(text))]
    features = set(stems)
    features.update(f"{a} {b}" for a, b in itertools.pairwise(stems))
    features.update(f"{a} _ {c}" for a, c in zip(stems, stems[2:], strict=False))
    return frozenset(features)


@dataclass(frozen=True)
class LearnedModel:
    """Weights of a logistic regression over :func:`message_features`."""

    weights: Mapping[str, float]
    bias: float
    threshold: float
    """The probability from which a message is heard as saying the cue."""
    min_words: int = 1
    """The fewest words a message it hears has: a few words are too little to weigh
    ("imuran 0" is no emergency, however its two words were used before)."""

    def probability(self, text: str) -> float:
        """Return how likely the model holds it that ``text`` says the cue (0 to 1)."""
        return self.probability_of(message_features(text))

    def probability_of(self, features: frozenset[str]) -> float:
        """Return :meth:`probability` from a message's :func:`message_features`, which
        several models reading one message need compute only once."""
        weights = self.weights
        logit = self.bias + _scale(len(features)) * sum(weights.get(f, 0.0) for f in features)
        return _sigmoid(logit)

    def hears(self, text: str) -> bool:
        """Return True when ``text`` says the cue by the model's threshold."""
        if self.min_words > 1 and len(words_of(normalize(text))) < self.min_words:
            return False
        return self.probability(text) >= self.threshold

    def opposite(self, threshold: float) -> LearnedModel:
        """Return the model that hears a message not saying the cue, from ``threshold``.

        Its probability is one less this model's: every weight and the bias change sign.
        """
        if not self.weights:
            # A model that learned nothing knows nothing either way: its opposite is not
            # sure of everything.
            return LearnedModel(self.weights, -_LIMIT, threshold, self.min_words)
        weights = MappingProxyType({f: -w for f, w in self.weights.items()})
        return LearnedModel(weights, -self.bias, threshold, self.min_words)


def train_model(said: tuple[str, ...], not_said: tuple[str, ...], threshold: float) -> LearnedModel:
    """Train on messages that say the cue and messages that do not.

    The two groups weigh the same whatever their sizes (a few hundred crises
    against thousands of ordinary questions). With either group empty the model
    hears nothing.
    """
    weights, bias = _trained(said, not_said)
    return LearnedModel(MappingProxyType(weights), bias, threshold)


@functools.lru_cache(maxsize=64)
def _trained(said: tuple[str, ...], not_said: tuple[str, ...]) -> tuple[dict[str, float], float]:
    if not said or not not_said:
        return {}, -_LIMIT
    index: dict[str, int] = {}
    # Stochastic gradient descent learns from the order it is shown: mixed, not one
    # group then the other. Each message's place comes from a digest of its own text,
    # so a message added or removed moves no other: a small edit to the knowledge
    # changes the model a little, never all of it.
    labelled = [(1, m) for m in said] + [(0, m) for m in not_said]
    order = sorted(
        labelled,
        key=lambda pair: hashlib.blake2b(pair[1].encode(), digest_size=8, salt=_SALT).digest(),
    )
    rows: list[tuple[tuple[int, ...], int, float]] = []
    for label, message in order:
        ids = tuple(index.setdefault(f, len(index)) for f in sorted(message_features(message)))
        rows.append((ids, label, _scale(len(ids))))
    total = len(rows)
    class_weight = (total / (2 * len(not_said)), total / (2 * len(said)))
    w = [0.0] * len(index)
    weight_of = w.__getitem__
    bias = 0.0
    # Each step is w[i] -= STEP * (gradient * scale + DECAY * w[i]), written as a
    # shrink and a shift: training runs at every start, in plain Python.
    shrink = 1.0 - _STEP * _DECAY
    for _ in range(_PASSES):
        for ids, label, scale in rows:
            p = _sigmoid(bias + scale * sum(map(weight_of, ids)))
            gradient = (p - label) * class_weight[label]
            bias -= _STEP * _BIAS_STEP * gradient
            shift = _STEP * gradient * scale
            for i in ids:
                w[i] = w[i] * shrink - shift
    return {f: w[i] for f, i in index.items() if w[i]}, bias


def _scale(feature_count: int) -> float:
    """Return the share each feature's weight has in the logit of a message.

    Without it a long story adds up many small weights of words that crises were
    often told with ("sorry this is long", "since september"), and an everyday
    question told at length sounded like a crisis: on three fresh sets, dividing by
    the root of the feature count gave fewer false crisis replies and more crises
    heard than the plain sum.
    """
    return 1.0 / math.sqrt(feature_count) if feature_count else 1.0


def _sigmoid(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-_LIMIT, min(_LIMIT, logit))))
