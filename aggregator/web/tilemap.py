"""A tile map of Shaanxi's counties, laid out by geography (警示地图 of the bureaus' pages).

No well-kept package ships county boundaries of Shaanxi under an open licence: ECharts
dropped its China maps in 5.0 (apache/echarts#13565) and says that a published map of China
needs an approval number (审图号, apache/echarts#19858), and a synthetic province's counties have
generated codes that no boundary file knows (synth/geography.py). So each prefecture (地市) is a
block placed on a coarse grid by where it lies — 榆林 in the north, then 延安, then Guanzhong
(咸阳 and 铜川 above 宝鸡, 西安 and 渭南), then 汉中, 安康 and 商洛 in the south — and each county
held is a tile inside its prefecture's block, in code order. Any other prefecture code gets a
block in a row below. Blocks without a county are left out, and empty rows and columns close up,
so a county's or a city's map shows only its own block.

Coordinates are in tile units (a tile is 1 × 1) from the top left; the page scales them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

# prefecture → (block row, first block column, columns spanned), from north to south
PLACES: dict[str, tuple[int, int, int]] = {
    "610800": (0, 1, 2),  # 榆林
    "610600": (1, 1, 2),  # 延安
    "610400": (2, 1, 1),  # 咸阳
    "610200": (2, 2, 1),  # 铜川
    "610300": (3, 0, 1),  # 宝鸡
    "610100": (3, 1, 1),  # 西安
    "610500": (3, 2, 1),  # 渭南
    "610700": (4, 0, 1),  # 汉中
    "610900": (4, 1, 1),  # 安康
    "611000": (4, 2, 1),  # 商洛
}
OTHER_ROW = 5
GAP = 0.5  # between blocks, in tiles
HEADER = 0.7  # above a block's tiles, for the prefecture's name


@dataclass(frozen=True)
class Block:
    """One prefecture's block: its top left corner, and its size in tiles (header excluded)."""

    prefecture: str
    x: float
    y: float
    columns: int
    rows: int


@dataclass(frozen=True)
class TileMap:
    """Where each county's tile lies (its top left corner), the blocks around them, and the
    size of the whole map, all in tile units."""

    tiles: dict[str, tuple[float, float]]
    blocks: list[Block]
    width: float
    height: float


def _shape(count: int) -> tuple[int, int]:
    """Columns and rows of a block of ``count`` tiles: near square, never taller than wide."""
    columns = max(1, math.ceil(math.sqrt(count)))
    return columns, math.ceil(count / columns)


def _offsets(sizes: list[float]) -> tuple[list[float], float]:
    """Where each band (row or column) starts, empty bands closed up; and the total size."""
    starts, at = [], 0.0
    for size in sizes:
        starts.append(at)
        if size > 0:
            at += size + GAP
    return starts, max(at - GAP, 0.0)


def layout(counties: Iterable[str]) -> TileMap:
    """The tile map of these county codes (6-digit GB/T 2260, e.g. 610102).

    Each county's tile lies inside the block of its prefecture (``code[:4] + "00"``), blocks
    never overlap, and a block lies north, south, east or west of another as the prefectures
    do. Raises nothing: an unknown prefecture gets a block in the row below the others."""
    groups: dict[str, list[str]] = {}
    for code in sorted(set(counties)):
        groups.setdefault(code[:4] + "00", []).append(code)
    places = dict(PLACES)
    others = [p for p in sorted(groups) if p not in places]
    for column, prefecture in enumerate(others):
        places[prefecture] = (OTHER_ROW, column, 1)
    shapes = {p: _shape(len(codes)) for p, codes in groups.items()}
    n_rows = max(row for row, _, _ in places.values()) + 1
    n_columns = max(col + span for _, col, span in places.values())

    heights = [0.0] * n_rows
    widths = [0.0] * n_columns
    for prefecture, (columns, rows) in shapes.items():
        row, col, span = places[prefecture]
        heights[row] = max(heights[row], HEADER + rows)
        if span == 1:
            widths[col] = max(widths[col], columns)
    for prefecture, (columns, _) in shapes.items():  # a spanning block widens its first column
        row, col, span = places[prefecture]
        spanned = [w for w in widths[col:col + span] if w > 0]
        room = sum(spanned) + GAP * max(len(spanned) - 1, 0)
        if span > 1 and columns > room:
            widths[col] += columns - room
    ys, height = _offsets(heights)
    xs, width = _offsets(widths)

    tiles: dict[str, tuple[float, float]] = {}
    blocks = []
    for prefecture in sorted(groups, key=lambda p: (places[p][0], places[p][1])):
        columns, rows = shapes[prefecture]
        row, col, span = places[prefecture]
        spanned = [c for c in range(col, col + span) if widths[c] > 0]
        left = xs[spanned[0]]
        right = xs[spanned[-1]] + widths[spanned[-1]]
        x = left + (right - left - columns) / 2
        y = ys[row]
        blocks.append(Block(prefecture, x, y, columns, rows))
        for i, code in enumerate(groups[prefecture]):
            tiles[code] = (x + i % columns, y + HEADER + i // columns)
    return TileMap(tiles, blocks, width, height)
