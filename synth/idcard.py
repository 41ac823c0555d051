"""Unique 居民身份证号码 (GB 11643-1999) for synthetic students.

Six digits of region, eight of birth date, a three-digit sequence whose last digit is odd for
men and even for women, and the check character of node.idcard (ISO 7064 MOD 11-2).
"""

from __future__ import annotations

from datetime import date
from random import Random

from node.idcard import check_character
from synth import SynthError


class IdCardIssuer:
    """Issues valid ID numbers, never the same twice.

    One issuer serves a whole run, so numbers stay unique across the schools of a province.
    Taken sequence numbers are kept as bits, one bitmap per (region, birth year).
    """

    def __init__(self) -> None:
        self._taken: dict[tuple[str, int], bytearray] = {}

    def issue(self, region: str, birth: date, male: bool, rng: Random) -> str:
        taken = self._taken.setdefault((region, birth.year), bytearray(366 * 1000 // 8))
        base = (birth.timetuple().tm_yday - 1) * 1000
        parity = 1 if male else 0
        seq = 2 * rng.randrange(parity ^ 1, 500) + parity  # 001–999 odd, 002–998 even
        for _ in range(500):
            index = base + seq
            first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
            # An ID ending in 000 is refused by import as Excel-rounded until staff confirm it
            # (docs/import.md): synthetic schools leave those numbers out to import cleanly.
            if not taken[index >> 3] & (1 << (index & 7)) \
                    and (first17 + check_character(first17))[-3:] != "000":
                taken[index >> 3] |= 1 << (index & 7)
                return first17 + check_character(first17)
            seq = seq + 2 if seq + 2 < 1000 else 2 - parity
        raise SynthError(f"no ID number left for region {region} born {birth} — too many students")
