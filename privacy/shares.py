"""Additive secret shares of a school's true table (DESIGN §8, docs/secure-aggregation.md).

A school splits its clipped true vector x (integers, the catalogue's cell order) into two
shares modulo 2^64: a is drawn uniformly from libsodium's random source (``nacl.utils.random``)
and b = x − a, so that each share alone is uniformly random and says nothing about x. The
leader holds one share, the helper the other; each sums the shares of the same schools, and the
two sums added modulo 2^64 give the sum of the tables, read back as a signed 64-bit integer
(two's complement) — exact as long as the true sum lies within ±2^63, which the catalogue's
value bounds guarantee (protos/validation.py, MAX_STUDENTS).

This is the only arithmetic on shares; everything else (signing, sealing) is PyNaCl's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from nacl.utils import random as random_bytes

MODULUS = 2**64
_HALF = 2**63
_WORD = 8  # bytes of one uint64


class ShareError(ValueError):
    """Vectors of different lengths, or a value that is not a 64-bit integer."""


def split(values: Sequence[int]) -> tuple[list[int], list[int]]:
    """Two share vectors (each a list of uint64 in [0, 2^64)) that add to ``values`` mod 2^64.

    ``values`` are signed integers within [−2^63, 2^63) (raises ``ShareError`` otherwise). The
    first share is uniform from ``nacl.utils.random`` (the operating system's CSPRNG through
    libsodium's randombytes_buf); the second is ``values`` minus it. Each alone is uniform.
    """
    for v in values:
        if not -_HALF <= v < _HALF:
            raise ShareError(f"value {v} is not a signed 64-bit integer")
    pad = random_bytes(_WORD * len(values))
    first = [int.from_bytes(pad[i * _WORD:(i + 1) * _WORD], "little") for i in range(len(values))]
    second = [(v - a) % MODULUS for v, a in zip(values, first, strict=True)]
    return first, second


def add(vectors: Iterable[Sequence[int]], size: int) -> list[int]:
    """The sum modulo 2^64 of share vectors of ``size`` cells each (uint64 lists).

    An empty ``vectors`` gives ``size`` zeros. Raises ``ShareError`` for a vector of another
    length or a value outside [0, 2^64).
    """
    total = [0] * size
    for vector in vectors:
        if len(vector) != size:
            raise ShareError(f"a share vector has {len(vector)} cells, expected {size}")
        for i, value in enumerate(vector):
            if not 0 <= value < MODULUS:
                raise ShareError(f"share value {value} is not an unsigned 64-bit integer")
            total[i] += value
    return [t % MODULUS for t in total]


def combine(first: Sequence[int], second: Sequence[int]) -> list[int]:
    """The signed values (two's complement) of two share vectors (or share sums) added mod 2^64.

    ``combine(*split(x)) == x``; raises ``ShareError`` when the lengths differ.
    """
    return [signed(v) for v in add((first, second), len(first))]


def signed(value: int) -> int:
    """A value modulo 2^64 read as a signed 64-bit integer (two's complement)."""
    value %= MODULUS
    return value - MODULUS if value >= _HALF else value
