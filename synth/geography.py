"""Counties of a synthetic Shaanxi: the real codes of protos.regions first, then generated ones.

Only Xi'an's districts and counties (and 杨陵区) are named in protos/regions.py; a province with
more counties gets well-formed GB/T 2260 codes under the other nine prefectures (districts
02–20, counties 21–70, county-level cities 81–99), named like ``宝鸡合成县21`` so nobody
mistakes them for real places.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from protos.regions import COUNTIES, PREFECTURES, check_region, level
from synth import SynthError

# How rural each real county's pupils are (0 = city centre, 1 = remote countryside): a
# judgement from the codes' kind (市辖区 or 县) and where they lie, not a statistic.
RURALITY = {
    "610102": 0.0, "610103": 0.0, "610104": 0.0, "610111": 0.3, "610112": 0.1,
    "610113": 0.05, "610114": 0.4, "610115": 0.5, "610116": 0.45, "610117": 0.45,
    "610118": 0.6, "610122": 0.85, "610124": 0.9, "610403": 0.35,
}
# Generated codes by the kind their last two digits mean (docs/context.md §4).
KIND_RURALITY = {"district": 0.35, "county": 0.85, "city": 0.55}
KIND_SUFFIX = {"district": "区", "county": "县", "city": "市"}


@dataclass(frozen=True)
class County:
    code: str
    name: str
    rurality: float
    synthetic: bool

    @property
    def prefecture(self) -> str:
        return self.code[:4] + "00"

    @property
    def prefecture_name(self) -> str:
        return PREFECTURES.get(self.prefecture, "")


def _kind(code: str) -> str:
    suffix = int(code[4:])
    return "district" if suffix <= 20 else "county" if suffix <= 70 else "city"


def _generated(code: str) -> County:
    kind = _kind(code)
    prefecture = PREFECTURES.get(code[:4] + "00", "陕西省").removesuffix("市")
    return County(code, f"{prefecture}合成{KIND_SUFFIX[kind]}{code[4:]}", KIND_RURALITY[kind], True)


def county(code: str) -> County:
    """The county of a region code given on the command line."""
    check_region(code)
    if level(code) != "county" or not code.startswith("61"):
        raise SynthError(f"region {code!r} is not a Shaanxi county code (县区代码, 例如 610102)")
    if code in COUNTIES:
        return County(code, COUNTIES[code], RURALITY.get(code, 0.5), False)
    return _generated(code)


def _suffixes() -> list[str]:
    """The last two digits in the order they are handed out: mostly counties, as in Shaanxi."""
    pools = {
        "county": [f"{n:02d}" for n in range(21, 71)],
        "district": [f"{n:02d}" for n in range(2, 21)],
        "city": [f"{n:02d}" for n in range(81, 100)],
    }
    order = []
    for kind in itertools.cycle(["county", "district", "county", "city"]):
        if not any(pools.values()):
            return order
        if pools[kind]:
            order.append(pools[kind].pop(0))


def _generated_codes() -> list[str]:
    """Codes under the nine prefectures other than Xi'an, handed out round-robin over them."""
    per_prefecture = [
        [p[:4] + s for s in _suffixes() if p[:4] + s not in COUNTIES]
        for p in sorted(PREFECTURES) if p != "610100"
    ]
    return [c for group in itertools.zip_longest(*per_prefecture) for c in group if c]


def province_counties(count: int) -> list[County]:
    """``count`` counties: the real ones of protos.regions, then generated ones."""
    real = [county(code) for code in sorted(COUNTIES)]
    generated = _generated_codes()
    if not 1 <= count <= len(real) + len(generated):
        raise SynthError(
            f"--counties must be between 1 and {len(real) + len(generated)} (县区数), not {count}"
        )
    return (real + [_generated(code) for code in generated])[:count]
