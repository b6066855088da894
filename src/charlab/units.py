"""Nats and bits: losses are computed in nats per character (natural log) and reported in both."""

from __future__ import annotations

import math

LN2 = math.log(2)


def bits(nats: float) -> float:
    """A loss in nats per character as bits per character (the post's and the compression literature's unit)."""
    return nats / LN2


def nats(bits_per_char: float) -> float:
    """A loss in bits per character as nats per character."""
    return bits_per_char * LN2
