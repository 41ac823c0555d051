"""The warnings map's tile layout (aggregator/web/tilemap.py): each county inside its
prefecture's block, no two tiles or blocks on top of each other, blocks placed as Shaanxi's
prefectures lie."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.web.tilemap import HEADER, layout
from protos.regions import PREFECTURES
from synth.geography import province_counties

COUNTIES = [c.code for c in province_counties(107)]


def centre(tile_map, prefecture: str) -> tuple[float, float]:
    block = next(b for b in tile_map.blocks if b.prefecture == prefecture)
    return block.x + block.columns / 2, block.y + (HEADER + block.rows) / 2


def rectangles_overlap(a, b) -> bool:
    (ax, ay, aw, ah), (bx, by, bw, bh) = a, b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def check(tile_map, codes: list[str]) -> None:
    assert sorted(tile_map.tiles) == sorted(set(codes))
    blocks = {b.prefecture: b for b in tile_map.blocks}
    assert set(blocks) == {c[:4] + "00" for c in codes}
    frames = [(b.x, b.y, b.columns, HEADER + b.rows) for b in tile_map.blocks]
    for i, a in enumerate(frames):
        assert 0 <= a[0] and a[0] + a[2] <= tile_map.width + 1e-9
        assert 0 <= a[1] and a[1] + a[3] <= tile_map.height + 1e-9
        for b in frames[i + 1:]:
            assert not rectangles_overlap(a, b), (a, b)
    for code, (x, y) in tile_map.tiles.items():
        block = blocks[code[:4] + "00"]
        assert block.x <= x and x + 1 <= block.x + block.columns + 1e-9
        assert block.y + HEADER <= y and y + 1 <= block.y + HEADER + block.rows + 1e-9
    assert len(set(tile_map.tiles.values())) == len(tile_map.tiles)  # no tile on another
    for prefecture in blocks:  # code order, row by row
        mine = sorted(c for c in tile_map.tiles if c.startswith(prefecture[:4]))
        placed = sorted(mine, key=lambda c: (tile_map.tiles[c][1], tile_map.tiles[c][0]))
        assert placed == mine


def test_a_province_of_107_counties_is_laid_out_as_shaanxi_lies():
    tile_map = layout(COUNTIES)
    check(tile_map, COUNTIES)
    assert {b.prefecture for b in tile_map.blocks} == set(PREFECTURES)
    x = {p: centre(tile_map, p)[0] for p in PREFECTURES}
    y = {p: centre(tile_map, p)[1] for p in PREFECTURES}
    # north to south: 榆林, 延安, Guanzhong (咸阳 and 铜川 above 西安), then the south
    assert y["610800"] < y["610600"] < y["610400"] < y["610100"] < y["610900"]
    assert y["610200"] < y["610500"] < y["611000"]
    top = {b.prefecture: b.y for b in tile_map.blocks}
    assert top["610300"] == top["610100"] == top["610500"]
    assert top["610700"] == top["610900"] == top["611000"]
    # west to east: 宝鸡, 西安, 渭南; 汉中, 安康, 商洛; 咸阳 west of 铜川
    assert x["610300"] < x["610100"] < x["610500"]
    assert x["610700"] < x["610900"] < x["611000"]
    assert x["610400"] < x["610200"]
    # 榆林 and 延安 sit over the middle of Guanzhong, not at its western edge
    assert x["610300"] < x["610800"] < x["610500"]
    assert tile_map.width < 14 and tile_map.height < 22  # fits a page without tiny tiles


def test_a_county_or_a_city_sees_only_its_own_block_at_the_origin():
    one = layout(["610102"])
    assert one.tiles == {"610102": (0.0, HEADER)}
    assert one.width == 1.0 and one.height == pytest.approx(HEADER + 1)
    xian = [c for c in COUNTIES if c.startswith("6101")]
    city = layout(xian)
    check(city, xian)
    assert [b.prefecture for b in city.blocks] == ["610100"]
    assert city.blocks[0].x == city.blocks[0].y == 0
    north = layout(["610802", "610821"])  # a spanning block alone closes up too
    assert north.blocks[0].x == 0 and north.width == 2


def test_an_unknown_prefecture_goes_below_the_others():
    tile_map = layout(["610102", "611102", "611103"])
    check(tile_map, ["610102", "611102", "611103"])
    blocks = {b.prefecture: b for b in tile_map.blocks}
    assert blocks["611100"].y > blocks["610100"].y


@settings(max_examples=200, deadline=None)
@given(st.sets(st.sampled_from(COUNTIES + ["611101", "611221"]), min_size=1))
def test_any_set_of_counties_gets_tiles_inside_their_blocks_without_overlap(codes):
    check(layout(codes), sorted(codes))
