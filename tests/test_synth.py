"""guanai synth: realistic synthetic schools and provinces, and the truth they encode."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import re
import tomllib
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from common.errors import GuanaiError
from guanai.cli import cli
from node.vocabulary import ACTIVITY_KINDS, RECORD_KINDS, REGISTRATION_STATUSES, TIERS
from protos.catalogue import load
from protos.periods import Period
from protos.regions import check_school, school_stages
from synth.files import HEADERS, IMPORT_ORDER
from synth.problems import PROBLEMS
from synth.rates import ENTRY_AGE

DOCS = Path(__file__).parent.parent / "docs" / "import.md"
CATALOGUE = load()
STAGE_BY_ZH = {v.label.zh: v.id for v in CATALOGUE.stages.values}
CATEGORY_BY_ZH = {v.label.zh: v.id for v in CATALOGUE.dimensions["category"].values}


def synth(*arguments: str) -> None:
    result = CliRunner().invoke(cli, ["synth", *arguments])
    assert result.exit_code == 0, result.output + repr(result.exception)


def make_school(folder: Path, school_id: str, region: str, *extra: str) -> dict:
    synth("school", "--out", str(folder), "--school-id", school_id, "--region", region, *extra)
    return json.loads((folder / "ground_truth.json").read_text("utf-8"))["schools"][school_id]


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def reference_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 from its definition (weights 2^(17-i) mod 11), not from a table."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    out = tmp_path_factory.mktemp("province")
    synth("province", "--out", str(out), "--counties", "10", "--schools-per-county", "3",
          "--seed", "5", "--problem-counties", "2", "--problem-schools", "3")
    return out


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    for name in ("a", "b"):
        make_school(tmp_path / name, "3461010001", "610122", "--students", "800", "--seed", "9")
    synth("province", "--out", str(tmp_path / "p1"), "--counties", "3", "--seed", "2",
          "--schools-per-county", "3", "--no-university", "--problem-schools", "1")
    synth("province", "--out", str(tmp_path / "p2"), "--counties", "3", "--seed", "2",
          "--schools-per-county", "3", "--no-university", "--problem-schools", "1")
    make_school(tmp_path / "c", "3461010001", "610122", "--students", "800", "--seed", "10")
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert len(digests(tmp_path / "a")) == 10
    assert digests(tmp_path / "p1") == digests(tmp_path / "p2")
    roster = (tmp_path / "a" / "roster.csv").read_bytes()
    assert roster != (tmp_path / "c" / "roster.csv").read_bytes()


def test_every_file_has_exactly_the_headers_of_docs_import_md(tmp_path):
    text = DOCS.read_text("utf-8")
    documented = {}
    for kind, header in re.findall(r"^## (\w+) .*\n(.+ \| .+)$", text, re.MULTILINE):
        documented[kind] = tuple(h.strip().rstrip("*") for h in header.split("|"))
    assert documented == HEADERS
    make_school(tmp_path, "5161010001", "610124", "--students", "200")
    for kind in IMPORT_ORDER:
        raw = (tmp_path / f"{kind}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), f"{kind}.csv has no BOM"
        header = next(csv.reader([raw.decode("utf-8-sig").splitlines()[0]]))
        assert tuple(header) == HEADERS[kind]


def test_vocabulary_dates_and_references_are_what_the_importer_expects(tmp_path):
    truth = make_school(tmp_path, "4161010697", "610113", "--students", "3000",
                        "--period", "2025-H2")
    period = Period.parse("2025-H2")
    roster = rows(tmp_path / "roster.csv")
    numbers = {r["学号"] for r in roster}
    assert len(numbers) == len(roster) == truth["students"] == 3000
    assert {STAGE_BY_ZH[r["学段"]] for r in roster} <= set(school_stages("4161010697"))
    tiers = {t.label.zh for t in TIERS.values()}
    for r in roster:
        for label in filter(None, r["困境类别"].split("；")):
            assert label in CATEGORY_BY_ZH
        assert r["家庭经济困难等级"] in tiers | {""}
        assert r["应届毕业生"] in ("是", "否") and r["性别"] in ("男", "女")
        assert re.fullmatch(r"1[3-9]\d{9}", r["联系电话"]) and r["家庭住址"].startswith("陕西省")
    kinds = {k.label.zh for k in RECORD_KINDS.values()}
    items = {v.label.zh: v for v in CATALOGUE.dimensions["aid_item"].values}
    stage_of = {r["学号"]: STAGE_BY_ZH[r["学段"]] for r in roster}
    for r in rows(tmp_path / "records.csv"):
        assert r["学号"] in numbers and r["记录类型"] in kinds and int(r["数量"]) > 0
        assert period.contains(date.fromisoformat(r["日期"]))
    for r in rows(tmp_path / "aid.csv"):
        item = items[r["资助项目"]]
        assert item.stages is None or stage_of[r["学号"]] in item.stages
        assert int(r["金额（元）"]) > 0 and period.contains(date.fromisoformat(r["日期"]))
    statuses = {s.label.zh for s in REGISTRATION_STATUSES.values()}
    for r in rows(tmp_path / "registration.csv"):
        assert r["学期"] == "2025-H2" and r["报到情况"] in statuses
        if r["报到情况"] == "按时报到":
            assert r["劝返复学日期"] == "" and r["是否辍学"] == "否"
    for r in rows(tmp_path / "cases.csv"):
        steps = [r[k] for k in ("申请日期", "评议日期", "确定日期", "备案日期") if r[k]]
        assert steps == sorted(steps) and steps[-1] <= period.end.isoformat()
        assert not r["确定日期"] or r["评议结论"] == "同意"
        assert not r["退出日期"] or (r["退出日期"] > r["确定日期"] and r["退出评议参与人"])
    by_id = {r["身份证号"]: r["姓名"] for r in roster}
    auto = rows(tmp_path / "auto.csv")
    assert auto and all(by_id[a["身份证号"]] == a["姓名"] for a in auto)
    activity_kinds = {k.label.zh for k in ACTIVITY_KINDS.values()}
    assert {a["活动类型"] for a in rows(tmp_path / "activities.csv")} <= activity_kinds
    school = tomllib.loads((tmp_path / "school.toml").read_text("utf-8"))
    assert school["school_id"] == "4161010697" and school["region"] == "610113"
    assert school["direct_to_province"] is True and school["stages"] == truth["stages"]


def test_id_numbers_are_valid_unique_and_fit_the_stage(province, tmp_path):
    make_school(tmp_path, "3461010001", "610124", "--students", "3000", "--seed", "3")
    seen: set[str] = set()
    files = [tmp_path / "roster.csv", *sorted(province.rglob("roster.csv"))]
    for path in files:
        for r in rows(path):
            number = r["身份证号"]
            assert re.fullmatch(r"61\d{4}\d{11}[\dX]", number), number
            assert number[17] == reference_check_digit(number[:17])
            assert (int(number[16]) % 2 == 1) == (r["性别"] == "男")
            assert number not in seen
            seen.add(number)
            born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            stage = STAGE_BY_ZH[r["学段"]]
            entry = int(r["学号"][:4])
            age = entry - born.year - ((born.month, born.day) > (8, 31))  # on 31 August
            assert ENTRY_AGE[stage] <= age <= ENTRY_AGE[stage] + 4, (stage, born, entry)
    assert len(seen) > 20000


def test_rates_are_plausible_on_large_schools(tmp_path):
    rural = make_school(tmp_path / "rural", "2161240001", "610124", "--students", "12000")
    urban = make_school(tmp_path / "urban", "2161020001", "610102", "--students", "12000")
    for school, poverty, left in ((rural, (0.25, 0.42), (0.25, 0.42)),
                                  (urban, (0.03, 0.12), (0.0, 0.07))):
        v, n = school["indicators"], school["students"]
        assert poverty[0] <= v["pop.category.poverty.primary"] / n <= poverty[1]
        assert left[0] <= v["pop.category.left_behind.primary"] / n <= left[1]
        assert 0.003 <= v["pop.category.disability.primary"] / n <= 0.012
        assert v["pop.category.orphan.primary"] / n <= 0.004
        assert v["pop.category.unsupported.primary"] / n <= 0.004
        in_difficulty = v["pop.in_difficulty.primary"]
        categories = sum(v[f"pop.category.{c}.primary"] for c in CATEGORY_BY_ZH.values())
        assert categories > in_difficulty  # categories overlap
        assert 0.1 <= v["key.current"] / in_difficulty <= 0.6
        assert v["pop.stacked"] > 0 and v["acad.reg_expected"] == in_difficulty
        rates = school["rates"]
        assert rates["talk_monthly_rate"] >= 0.9 and rates["mentor_rate"] >= 0.85
        assert rates["highest_tier_rate"] >= 0.8 and rates["placement_rate"] >= 0.9
        assert rates["absent_rate"] <= 0.06 and rates["dropout_rate"] <= 0.005
        assert rates["return_rate"] >= 0.5
    university = make_school(tmp_path / "u", "4161010697", "610113", "--students", "20000")
    assert 0.1 <= university["indicators"]["pop.in_difficulty.undergraduate"] / 17000 <= 0.4
    assert university["rates"]["postings3_rate"] >= 0.85


def test_the_ground_truth_obeys_the_catalogue_rules(tmp_path):
    truth = make_school(tmp_path, "3661010001", "610124", "--students", "2000")
    values = truth["indicators"]
    checked = 0
    for rule in CATALOGUE.rules:
        cells = rule.lhs + rule.rhs
        if all(c in values or not (CATALOGUE.cell(c).stages & set(truth["stages"]))
               for c in cells):
            assert rule.holds({c: values.get(c, 0) for c in cells}), rule.id
            checked += 1
    assert checked >= 10


def test_planted_problems_show_in_the_ground_truth(tmp_path):
    args = ("--students", "5000", "--seed", "4")
    sound = make_school(tmp_path / "sound", "3661010001", "610124", *args)
    planted = [a for kind in PROBLEMS for a in ("--problem", kind)]
    bad = make_school(tmp_path / "bad", "3661010001", "610124", *args, *planted)
    assert bad["problems"] == list(PROBLEMS) and sound["problems"] == []
    good, poor = sound["rates"], bad["rates"]
    for measure in ("talk_monthly_rate", "postings3_rate", "highest_tier_rate",
                    "placement_rate", "mentor_rate", "return_rate"):
        assert good[measure] >= 0.6 and poor[measure] <= 0.6, measure
        assert good[measure] - poor[measure] >= 0.3, measure
    assert poor["dropout_rate"] >= 0.02 > 0.005 >= good["dropout_rate"]
    assert poor["absent_rate"] >= 2 * good["absent_rate"]


def test_province_layout_stages_and_direct_reporting(province):
    plan = tomllib.loads((province / "province.toml").read_text("utf-8"))
    truth = json.loads((province / "ground_truth.json").read_text("utf-8"))
    schools = plan["schools"]
    assert len(schools) == 30 and len(plan["counties"]) == 10
    assert len({s["id"] for s in schools}) == 30
    assert {s["type"] for s in schools} == {"11", "21", "31", "34", "36", "41", "51"}
    assert {st for s in schools for st in s["stages"]} == {v.id for v in CATALOGUE.stages.values}
    counties = {c["code"] for c in plan["counties"]}
    for s in schools:
        check_school(s["id"])
        assert s["county"] in counties and set(s["stages"]) <= set(school_stages(s["id"]))
        folder = province / s["path"]
        assert folder == province / s["county"] / s["id"]
        assert {p.name for p in folder.iterdir()} == {"school.toml", *(f"{k}.csv" for k in HEADERS)}
        assert len(rows(folder / "roster.csv")) == s["students"]
        assert s["direct_to_province"] == (s["reports_to"] == "610000")
    universities = [s for s in schools if s["type"] == "41"]
    assert universities and all(s["direct_to_province"] for s in universities)
    assert all(not s["direct_to_province"] for s in schools if s["type"] not in ("41", "36"))
    for code, county in truth["counties"].items():
        total: dict[str, int] = {}
        for school_id in county["schools"]:
            assert not truth["schools"][school_id]["direct_to_province"]
            for cell, value in truth["schools"][school_id]["indicators"].items():
                total[cell] = total.get(cell, 0) + value
        assert total == county["indicators"], code


def test_province_problems_are_planted_where_the_ground_truth_says(province):
    truth = json.loads((province / "ground_truth.json").read_text("utf-8"))
    by_county = truth["province"]["problem_counties"]
    by_school = truth["province"]["problem_schools"]
    assert len(by_county) == 2 and len(by_school) == 3
    for code, kind in by_county.items():
        assert truth["counties"][code]["problems"] == [kind]
        for school_id in truth["counties"][code]["schools"]:
            school = truth["schools"][school_id]
            assert kind in school["problems"] or not PROBLEMS[kind].applies_to(school["stages"])
    for school_id, kind in by_school.items():
        assert kind in truth["schools"][school_id]["problems"]
    # The county's rate of its planted kind is far below that of counties without problems.
    main = {kind: next(iter(p.measures)) for kind, p in PROBLEMS.items()} | {
        "dropout": "return_rate"}
    for code, kind in by_county.items():
        bad = truth["counties"][code]["rates"][main[kind]]
        sound = [c["rates"][main[kind]] for c in truth["counties"].values()
                 if all(not truth["schools"][s]["problems"] for s in c["schools"])
                 and c["rates"][main[kind]] is not None]
        assert sound and bad is not None and bad + 0.3 <= min(sound), (kind, bad, sound)


@pytest.mark.parametrize("arguments, message", [
    (["school", "--school-id", "2161010001", "--region", "610100"], "county"),
    (["school", "--school-id", "9961010001", "--region", "610102"], "学校标识码"),
    (["school", "--school-id", "2161010001", "--region", "610102", "--period", "2025"],
     "half-year"),
    (["school", "--school-id", "2161010001", "--region", "610102", "--problem",
      "few_postings"], "does not apply"),
    (["province", "--counties", "1", "--schools-per-county", "3"], "at least 7"),
    (["province", "--counties", "3", "--problem-counties", "4"], "no county left"),
    (["province", "--problem-schools", "40"], "no school left"),
    (["school", "--school-id", "2161010001", "--region", "610102", "--students", "0"],
     "at least 1"),
])
def test_user_mistakes_are_one_clear_error(tmp_path, arguments, message):
    result = CliRunner().invoke(cli, ["synth", *arguments, "--out", str(tmp_path / "x")])
    assert isinstance(result.exception, GuanaiError), result.output
    assert message in str(result.exception)
    assert not (tmp_path / "x").exists()


@pytest.mark.skipif(importlib.util.find_spec("node.importer") is None,
                    reason="node/importer.py has not landed yet")
@pytest.mark.parametrize("school_id, region, students, period, problems", [
    ("1161240001", "610124", "200", "2025-H1", ["no_talks"]),
    ("2161020001", "610102", "700", "2025-H2", ["low_tier", "no_placement"]),
    ("3461220001", "610122", "700", "2025-H1", ["dropout", "few_postings"]),
    ("3661010001", "610124", "600", "2025-H2", []),
    ("5161010001", "610113", "150", "2025-H2", ["no_mentor"]),
    ("4161010697", "610113", "2500", "2025-H2", ["no_talks"]),
])
def test_a_synthetic_school_imports_cleanly_and_the_node_agrees(tmp_path, school_id, region,
                                                                students, period, problems):
    from node.store import open_store
    from node.table import Window, compute

    planted = [a for kind in problems for a in ("--problem", kind)]
    truth = make_school(tmp_path / "files", school_id, region, "--students", students,
                        "--period", period, *planted)
    db = str(tmp_path / "node.db")
    runner = CliRunner()
    result = runner.invoke(cli, ["node", "--db", db, "init", "--school-id", school_id,
                                 "--region", region, "--name", truth["name"]])
    assert result.exit_code == 0, result.output
    for kind in IMPORT_ORDER:
        result = runner.invoke(cli, ["node", "--db", db, "import", kind,
                                     str(tmp_path / "files" / f"{kind}.csv")])
        assert result.exit_code == 0, f"{kind}: {result.output} {result.exception!r}"
    half = Period.parse(period)
    table = compute(open_store(db), CATALOGUE, Window.of(half, half.end))
    assert {cell: table[cell] for cell in truth["indicators"]} == truth["indicators"]
