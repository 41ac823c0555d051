"""The versioned catalogue of the statistics table (困境学生教育助学关爱服务情况统计表).

The catalogue file (``protos/catalogue/<version>.toml``) is declarative: families of cells
expanded over dimensions. This module expands it into an ordered tuple of cells, which is the
layout of every released vector, and derives from the per-student bounds the L2 sensitivity
of each DP group.
"""

from __future__ import annotations

import fnmatch
import itertools
import math
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from common.errors import GuanaiError

CATALOGUE_DIR = Path(__file__).parent / "catalogue"
LATEST_VERSION = "v1"


class CatalogueError(GuanaiError):
    """The catalogue file is malformed, or a name asked of it does not exist."""


@dataclass(frozen=True)
class Label:
    """A name in Chinese and in English."""

    zh: str
    en: str

    def both(self) -> str:
        """``中文 English``, as tables and messages show a name."""
        return f"{self.zh} {self.en}"


@dataclass(frozen=True)
class DimensionValue:
    """One value of a dimension (a stage, a category of difficulty, an aid item): the stages
    it applies to (None: all) and its per-student bound in the cell's unit, if it has one."""

    id: str
    label: Label
    stages: frozenset[str] | None = None
    bound: int | None = None


@dataclass(frozen=True)
class Dimension:
    """A dimension the cells are expanded over (stage, category, aid item …), values in order."""

    id: str
    label: Label
    values: tuple[DimensionValue, ...]

    def value(self, value_id: str) -> DimensionValue:
        """The value of id ``value_id``; raises ``CatalogueError`` if there is none."""
        for value in self.values:
            if value.id == value_id:
                return value
        raise CatalogueError(f"unknown {self.id} {value_id!r}")

    def by_zh(self) -> dict[str, DimensionValue]:
        """The values by their Chinese names, as staff write them in import files."""
        return {value.label.zh: value for value in self.values}


@dataclass(frozen=True)
class Group:
    """A DP group (docs/budget.md): cells released together with one noise scale, in one ``unit``
    (students, events or yuan), taking ``share`` (a fraction in (0, 1]) of a release's ρ."""

    id: str
    label: Label
    unit: str
    share: float
    default: bool  # the group of its unit's families that name none


@dataclass(frozen=True)
class Cell:
    """One cell of the table: what a student can add to it, and who may add to it."""

    id: str
    index: int
    label: Label
    section: str
    family: str
    unit: str
    group: str | None  # None for public cells, released without noise
    bound: int
    stages: frozenset[str]  # stages of the students who may contribute
    exclusive: str | None  # cells sharing this key take at most one per student
    keys: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def public(self) -> bool:
        """Released exactly, without noise (invariant 11, docs/architecture.md: it depends on no student)."""
        return self.group is None


@dataclass(frozen=True)
class Rule:
    """A validation rule (勾稽关系) instantiated over its placeholders."""

    id: str
    label: Label
    lhs: tuple[str, ...]
    op: str
    rhs: tuple[str, ...]

    def holds(self, values: dict[str, int]) -> bool:
        """Whether the rule holds for ``values`` (cell id → value; every cell it names)."""
        left = sum(values[c] for c in self.lhs)
        right = sum(values[c] for c in self.rhs)
        return left <= right if self.op == "<=" else left == right


@dataclass(frozen=True)
class Catalogue:
    """One version of the statistics table (困境学生教育助学关爱服务情况统计表): its cells in
    a fixed order — every Report's ``values`` and ``noise_variance`` follow it, one entry per
    cell —, DP groups, dimensions and validation rules. Load it with ``load(version)``."""

    version: str
    title: Label
    units: dict[str, Label]
    sections: dict[str, Label]
    groups: dict[str, Group]
    dimensions: dict[str, Dimension]
    cells: tuple[Cell, ...]
    rules: tuple[Rule, ...]
    by_id: dict[str, Cell] = field(default_factory=dict, compare=False, repr=False)

    def __hash__(self) -> int:
        return hash(self.version)

    @property
    def stages(self) -> Dimension:
        """The dimension of school stages (学段)."""
        return self.dimensions["stage"]

    def cell(self, cell_id: str) -> Cell:
        """The cell of id ``cell_id``; raises ``CatalogueError`` if there is none."""
        try:
            return self.by_id[cell_id]
        except KeyError:
            raise CatalogueError(f"no cell {cell_id!r} in catalogue {self.version}") from None

    def ids(self) -> list[str]:
        """Every cell id, in catalogue order."""
        return [cell.id for cell in self.cells]

    def labels(self) -> dict[str, list[str]]:
        """The label columns of the statistics table, one entry per cell in catalogue order:
        ``section`` (Chinese), ``cell`` (id), ``zh``, ``en`` and ``unit`` (both languages)."""
        return {
            "section": [self.sections[c.section].zh for c in self.cells],
            "cell": [c.id for c in self.cells],
            "zh": [c.label.zh for c in self.cells],
            "en": [c.label.en for c in self.cells],
            "unit": [self.units[c.unit].both() for c in self.cells],
        }

    def expand(self, pattern: str) -> list[str]:
        """Cell ids matching an id or a glob pattern, in catalogue order."""
        if pattern in self.by_id:
            return [pattern]
        matched = [cell.id for cell in self.cells if fnmatch.fnmatchcase(cell.id, pattern)]
        if not matched:
            raise CatalogueError(f"{pattern!r} matches no cell of catalogue {self.version}")
        return matched

    def group_cells(self, group: str, stages: frozenset[str] | None = None) -> list[Cell]:
        """The cells of a DP group, limited to those open to some of ``stages`` if given."""
        return [
            cell for cell in self.cells
            if cell.group == group and (stages is None or cell.stages & stages)
        ]

    def sensitivity(self, group: str, stages: frozenset[str] | None = None) -> float:
        """L2 sensitivity of a group's cells for adding or removing one student.

        A student has one stage, so only the cells open to that stage can move; of an
        exclusive set, only one. The worst stage decides — of ``stages`` if given (a school
        has only the students of the stages it teaches).
        """
        worst = 0.0
        for stage in self.stages.values:
            if stages is not None and stage.id not in stages:
                continue
            squares = 0
            exclusive: dict[str, int] = {}
            for cell in self.group_cells(group):
                if stage.id not in cell.stages:
                    continue
                if cell.exclusive is None:
                    squares += cell.bound**2
                else:
                    exclusive[cell.exclusive] = max(exclusive.get(cell.exclusive, 0), cell.bound)
            squares += sum(bound**2 for bound in exclusive.values())
            worst = max(worst, float(squares))
        return math.sqrt(worst)


def _label(table: dict, where: str) -> Label:
    try:
        return Label(zh=table["zh"], en=table["en"])
    except KeyError as missing:
        raise CatalogueError(f"{where}: missing label {missing}") from None


def _dimensions(raw: dict, stage_ids: set[str] | None = None) -> dict[str, Dimension]:
    dimensions = {}
    for dim_id, table in raw.items():
        values = []
        for value in table["values"]:
            stages = value.get("stages")
            values.append(
                DimensionValue(
                    id=value["id"],
                    label=_label(value, f"{dim_id}.{value['id']}"),
                    stages=frozenset(stages) if stages is not None else None,
                    bound=value.get("bound"),
                )
            )
        dimensions[dim_id] = Dimension(dim_id, _label(table, dim_id), tuple(values))
    return dimensions


def _family_cells(family: dict, dims: dict[str, Dimension], groups: dict[str, Group],
                  start: int) -> list[Cell]:
    all_stages = frozenset(v.id for v in dims["stage"].values)
    over = family.get("over", [])
    over = [over] if isinstance(over, str) else list(over)
    public = family.get("public", False)
    unit = family["unit"]
    group = None if public else family.get("group") or next(
        (g.id for g in groups.values() if g.unit == unit and g.default), None)
    if not public and (group not in groups or groups[group].unit != unit):
        raise CatalogueError(f"{family['id']}: no DP group of unit {unit!r} named {group!r}")
    cells = []
    for combo in itertools.product(*(dims[d].values for d in over)):
        stages = frozenset(family.get("stages", all_stages))
        bound = family.get("bound", 1)
        zh, en = [family["zh"]], [family["en"]]
        keys = {}
        for dim_id, value in zip(over, combo, strict=True):
            keys[dim_id] = value.id
            zh.append(value.label.zh)
            en.append(value.label.en)
            if dim_id == "stage":
                stages = stages & {value.id}
            if value.stages is not None:
                stages = stages & value.stages
            if value.bound is not None and unit != "students":
                bound = value.bound
        cells.append(
            Cell(
                id=".".join([family["id"], *keys.values()]),
                index=start + len(cells),
                label=Label("—".join(zh), " — ".join(en)),
                section=family["section"],
                family=family["id"],
                unit=unit,
                group=group,
                bound=int(bound),
                stages=stages,
                exclusive=family["id"] if family.get("exclusive") else None,
                keys=keys,
            )
        )
    return cells


def _rules(raw: list[dict], dims: dict[str, Dimension], expand) -> tuple[Rule, ...]:  # noqa: ANN001
    rules = []
    for rule in raw:
        terms = rule["lhs"] + rule["rhs"]
        placeholders = [d for d in dims if any("{" + d + "}" in t for t in terms)]
        for combo in itertools.product(*(dims[d].values for d in placeholders)):
            subst = {d: v.id for d, v in zip(placeholders, combo, strict=True)}

            def side(patterns: list[str], subst: dict = subst) -> tuple[str, ...]:
                return tuple(c for p in patterns for c in expand(p.format(**subst)))

            suffix = f"[{','.join(subst.values())}]" if subst else ""
            if rule["op"] not in ("<=", "=="):
                raise CatalogueError(f"rule {rule['id']}: unknown operator {rule['op']!r}")
            rules.append(
                Rule(rule["id"] + suffix, _label(rule, rule["id"]), side(rule["lhs"]),
                     rule["op"], side(rule["rhs"]))
            )
    return tuple(rules)


def parse(text: str) -> Catalogue:
    """Build a catalogue from the text of a catalogue file."""
    raw = tomllib.loads(text)
    dims = _dimensions(raw["dimensions"])
    groups = {
        gid: Group(gid, _label(g, gid), g["unit"], float(g["share"]), g.get("default", True))
        for gid, g in raw["groups"].items()
    }
    if not math.isclose(sum(g.share for g in groups.values()), 1.0):
        raise CatalogueError("the shares of ρ over the DP groups must add up to 1")
    cells: list[Cell] = []
    for family in raw["families"]:
        cells.extend(_family_cells(family, dims, groups, len(cells)))
    if len({c.id for c in cells}) != len(cells):
        raise CatalogueError("duplicate cell ids")
    catalogue = Catalogue(
        version=raw["version"],
        title=Label(raw["title_zh"], raw["title_en"]),
        units={u: _label(t, u) for u, t in raw["units"].items()},
        sections={s: _label(t, s) for s, t in raw["sections"].items()},
        groups=groups,
        dimensions=dims,
        cells=tuple(cells),
        rules=(),
        by_id={cell.id: cell for cell in cells},
    )
    rules = _rules(raw.get("rules", []), dims, catalogue.expand)
    return Catalogue(**{**catalogue.__dict__, "rules": rules})


_directories: list[Path] = [CATALOGUE_DIR]


def add_directory(path: Path) -> None:
    """Also find catalogue versions in ``path``: one rolled out before the software ships it.

    A version shipped with guanai is always read from ``protos/catalogue/``: a file of the
    same name elsewhere never replaces it.
    """
    path = Path(path)
    if not path.is_dir():
        raise CatalogueError(f"目录文件夹不存在 no catalogue folder at {path}")
    if path not in _directories:
        _directories.append(path)
        load.cache_clear()


def known_versions() -> list[str]:
    """Every catalogue version shipped in ``protos/catalogue/`` or added, sorted."""
    return sorted({p.stem for folder in _directories for p in folder.glob("*.toml")})


@cache
def load(version: str = LATEST_VERSION) -> Catalogue:
    """The catalogue of a given version, as shipped in ``protos/catalogue/`` or added."""
    found = ([] if "/" in version or "\\" in version
             else [f / f"{version}.toml" for f in _directories if (f / f"{version}.toml").is_file()])
    if not found:
        raise CatalogueError(f"unknown catalogue version {version!r} "
                             f"(known: {', '.join(known_versions())})")
    catalogue = parse(found[0].read_text(encoding="utf-8"))
    if catalogue.version != version:
        raise CatalogueError(f"{found[0]} declares version {catalogue.version!r}, not {version!r}")
    return catalogue
