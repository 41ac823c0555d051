"""The contract in protos/: generated code is fresh, the catalogue is well formed."""

from __future__ import annotations

import filecmp

import pytest

from protos import codegen
from protos.catalogue import CatalogueError, load, parse
from protos.periods import Period, PeriodError
from protos.regions import CodeError, check_school, level, parents, school_stages

CAT = load()


def test_committed_generated_code_is_what_the_protos_generate(tmp_path):
    codegen.generate(tmp_path)
    generated = sorted(p.name for p in (tmp_path / "protos").iterdir())
    assert generated, "protoc wrote nothing"
    for name in generated:
        committed = codegen.PROTO_DIR / name
        assert committed.exists(), f"protos/{name} is not committed: run `make protos`"
        assert filecmp.cmp(committed, tmp_path / "protos" / name, shallow=False), (
            f"protos/{name} is stale: run `make protos`")


def test_catalogue_covers_the_plan():
    ids = set(CAT.ids())
    assert len(CAT.dimensions["category"].values) == 9
    assert len(CAT.dimensions["stage"].values) == 8
    for stage in CAT.stages.values:
        assert f"pop.enrolled.{stage.id}" in ids
        for category in CAT.dimensions["category"].values:
            assert f"pop.category.{category.id}.{stage.id}" in ids
    for required in ("pop.stacked", "key.applied.teacher", "key.auto", "key.filed", "key.current",
                     "acad.placement.home_delivery", "acad.absent.suspension", "acad.returned",
                     "acad.dropped_out", "psy.talk_monthly", "psy.referred", "job.postings3",
                     "aid.highest_tier", "aid.yuan.origin_loan", "mentor.assigned"):
        assert required in ids
    assert all(c.label.zh and c.label.en for c in CAT.cells)
    assert [c.index for c in CAT.cells] == list(range(len(CAT.cells)))


def test_public_cells_are_only_those_about_no_student():
    public = {c.family for c in CAT.cells if c.public}
    assert public == {"psy.home_activities", "mentor.mentors"}


def test_sensitivity_is_the_worst_stage_over_bounds():
    # a primary student: every students cell open to primary, one placement, one absence reason
    primary = [c for c in CAT.group_cells("students") if "primary" in c.stages]
    exclusive = {c.exclusive for c in primary if c.exclusive}
    expected = (len([c for c in primary if not c.exclusive]) + len(exclusive)) ** 0.5
    assert CAT.sensitivity("students", frozenset({"primary"})) == pytest.approx(expected)
    assert CAT.sensitivity("students") >= CAT.sensitivity("students", frozenset({"primary"}))


def test_rules_expand_over_placeholders_and_patterns():
    r02 = [r for r in CAT.rules if r.id.startswith("R02[")]
    assert len(r02) == 9 * 8
    r13 = next(r for r in CAT.rules if r.id == "R13")
    assert r13.lhs == ("pop.disabled",) and len(r13.rhs) == 8


def test_a_malformed_catalogue_is_refused():
    text = (codegen.PROTO_DIR / "catalogue" / "v1.toml").read_text(encoding="utf-8")
    with pytest.raises(CatalogueError, match="shares"):
        parse(text.replace("share = 0.5445", "share = 0.5"))
    with pytest.raises(CatalogueError, match="matches no cell"):
        parse(text.replace('lhs = ["acad.returned"]', 'lhs = ["acad.nothing"]'))
    with pytest.raises(CatalogueError, match="unknown catalogue version"):
        load("v0")


def test_periods():
    h1 = Period.parse("2025-H1")
    assert (h1.start.isoformat(), h1.end.isoformat(), h1.due.isoformat()) == (
        "2025-01-01", "2025-06-30", "2025-06-30")
    assert Period.parse("2025-H2").due.isoformat() == "2025-12-15"
    assert Period.parse("2025").annual and Period.parse("2025").due.month == 12
    for bad in ("2025-H3", "25-H1", "2025H1", ""):
        with pytest.raises(PeriodError):
            Period.parse(bad)


def test_codes():
    assert level("610000") == "province" and level("610100") == "city"
    assert level("610102") == "county" and parents("610102") == ["610100", "610000"]
    assert school_stages("4161010001") == ("higher_vocational", "undergraduate", "postgraduate")
    for bad in ("216101000", "9961010001", "21610100a1"):
        with pytest.raises(CodeError):
            check_school(bad)
