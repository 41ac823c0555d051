"""A county cannot sum a school of its own making once the register of schools is held.

Issue 16 left this open: a county enrols a school that does not exist, with a key it made, and
signs that enrolment in its rollups; its signature proves nothing. The register of schools
(学校名录, protos/school_register.py) is what the county cannot make up: with it the county
cannot enrol an unlisted school, the province refuses a rollup that enrols one (status code
asserted, every row and the log unchanged) and the inspector flags it from the bundles
(``--register``). A real county and province on loopback.
"""

from __future__ import annotations

import grpc
import pytest
from nacl.signing import SigningKey

from aggregator.store.sqlite import Store
from inspector.verify import verify
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.school_register import RegisterError, read_register
from tests.federation import (
    H1,
    aggregator_cli,
    aggregator_cli_fails,
    dump,
    log_size,
    make_report,
    roll_up,
    school_identity,
    sealed,
    signed_off,
    two_counties,
)
from tests.inspection import export_all

REAL, MADE_UP, OTHER_COUNTYS = "2161010001", "2161019999", "2161030004"
REGISTER = ("\ufeff学校标识码,所在地区代码,学校名称\n"
            f"{REAL},610102,新城区第一小学\n"
            f"{OTHER_COUNTYS},610103,碑林区第四小学\n")


def test_the_register_is_read_whole_or_not_at_all():
    schools = read_register(REGISTER.encode())
    assert [(s.school_id, s.region, s.name) for s in schools] == [
        (REAL, "610102", "新城区第一小学"), (OTHER_COUNTYS, "610103", "碑林区第四小学")]
    bad = {
        "学校标识码,地区\n2161010001,610102\n": "must name the columns 学校标识码 and 所在地区代码",
        f"学校标识码,所在地区代码\n{REAL},610102\n21610100,610102\n": "register line 3",
        f"学校标识码,所在地区代码\n{REAL},610100\n": "610100 is not a county's code",
        f"学校标识码,所在地区代码\n{REAL},610102\n{REAL},610102\n": "listed twice",
        "学校标识码,所在地区代码\n": "lists no school",
    }
    for text, said in bad.items():
        with pytest.raises(RegisterError, match=said):
            read_register(text.encode())
    with pytest.raises(RegisterError, match="not UTF-8"):
        read_register(REGISTER.encode("gb18030"))


@pytest.fixture
def federation(tmp_path):
    """The province holding the register; county 610102 with the real school enrolled, sent."""
    province, county, other = two_counties(tmp_path)
    (tmp_path / "register.csv").write_text(REGISTER, encoding="utf-8")
    aggregator_cli(province.db, "schools", str(tmp_path / "register.csv"))
    county.keys = {REAL: SigningKey.generate(), MADE_UP: SigningKey.generate()}
    submit(county, REAL)
    yield province, county, tmp_path
    for aggregator in (county, other, province):
        aggregator.stop()


def submit(county, school: str) -> None:  # noqa: ANN001
    county.enrol(school_identity(school, "610102", county.keys[school]))
    with grpc.insecure_channel(county.running.address) as channel:
        AggregatorStub(channel).Submit(sealed(make_report(school), county.keys[school], county),
                                       timeout=10)


def test_a_county_summing_a_school_it_made_up_is_refused_at_the_province(federation):
    province, county, _ = federation
    submit(county, MADE_UP)  # the county has no register: it takes the school it made up
    size, before = log_size(province), dump(province.db)
    with pytest.raises(Exception, match="PERMISSION_DENIED") as info:
        roll_up(county, province)
    said = str(info.value)
    assert f"school {MADE_UP} is not in the register of schools" in said
    assert f"学校 {MADE_UP} 不在学校名录中" in said
    assert (dump(province.db), log_size(province)) == (before, size)


def test_the_honest_rollup_of_registered_schools_is_accepted(federation):
    province, county, _ = federation
    assert [e.member_id for e in roll_up(county, province).enrolled] == [REAL]


def test_a_school_the_register_places_in_another_county_is_refused(federation):
    province, county, _ = federation
    county.keys[OTHER_COUNTYS] = SigningKey.generate()
    submit(county, OTHER_COUNTYS)
    before = dump(province.db)
    with pytest.raises(Exception, match="PERMISSION_DENIED") as info:
        roll_up(county, province)
    assert f"school {OTHER_COUNTYS} lies in 610103 by the register of schools, not in " \
        "610102" in str(info.value)
    assert dump(province.db) == before


def test_a_county_holding_the_register_cannot_enrol_an_unlisted_school(federation):
    _, county, folder = federation
    key_file = folder / "made-up.json"
    key_file.write_text(school_identity(MADE_UP, "610102", SigningKey.generate()).to_json())
    out = aggregator_cli(county.db, "schools", str(folder / "register.csv"))
    assert "已导入学校名录 register imported: 2 schools" in out
    before = dump(county.db)
    error = aggregator_cli_fails(county.db, "enroll", "--key", str(key_file))
    assert f"school {MADE_UP} is not in the register of schools" in str(error)
    assert dump(county.db) == before


def test_a_register_naming_an_enrolled_school_elsewhere_is_noted_and_a_bad_one_changes_nothing(
        federation):
    _, county, folder = federation
    moved = folder / "moved.csv"
    moved.write_text(f"学校标识码,所在地区代码\n{REAL},610103\n", encoding="utf-8")
    out = aggregator_cli(county.db, "schools", str(moved))
    assert f"注意 note: already enrolled here: 学校 {REAL} 在学校名录中属于 610103" in out
    before = dump(county.db)
    broken = folder / "broken.csv"
    broken.write_text(f"学校标识码,所在地区代码\n{REAL},610102\nnot-a-code,610102\n",
                      encoding="utf-8")
    error = aggregator_cli_fails(county.db, "schools", str(broken))
    assert "register line 3" in str(error)
    assert dump(county.db) == before
    store = Store(county.db)
    try:
        assert store.registered_region(REAL) == "610103"
    finally:
        store.close()


def test_the_inspector_flags_a_made_up_school_with_the_register(federation):
    _, county, folder = federation
    submit(county, MADE_UP)
    store = Store(county.db)
    try:
        signed_off(store, county.settings, H1)  # the county's own rollup, in its bundle
    finally:
        store.close()
    bundles = export_all(folder)
    assert verify([bundles / "610102"]).ok  # without the register, nothing tells it apart
    verdict = verify([bundles / "610102"], register=folder / "register.csv")
    problems = [f for f in verdict.failures if f.subject == f"成员 member {MADE_UP}"]
    assert len(problems) == 1 and len(verdict.failures) == 1
    assert f"school {MADE_UP} is not in the register of schools" in problems[0].en
    assert "610102 keys.json" in problems[0].en and "610102 第1版汇总 rollup r1" in problems[0].en
