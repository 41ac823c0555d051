"""The statistics table as exported and printed: the sheets of one region's table with the
sign-off block filled in, for ``guanai aggregator table`` and the bureau's export links.

The analysis form alone (``estimates_sheet``) needs no official table: the page's analysis form,
its CSV export and the CLI's csv/json read the estimates only, so they are there at once while
the official tables are being made, or when they cannot be made.

One function for both, so that the .xlsx, CSV and PDF a bureau downloads from its pages are
the files its CLI writes. The sign-off of this aggregator's own table is who approved its
rollup (or the waiver, aggregator/rollup/signoff.py); names given by the caller stand in where
nobody has yet, or for another region's table.
"""

from __future__ import annotations

from datetime import date

from aggregator.figures.holdings import Holdings, is_school
from aggregator.figures.statistics import (
    RegionTable,
    analysis_sheet,
    cells_of,
    region_figures,
    table_sheets,
)
from aggregator.keys.own_identity import Settings
from aggregator.rollup import signoff
from aggregator.store.sqlite import Store
from common.tables import Sheet, SignOff
from protos.periods import Period
from protos.regions import name


def region_sheets(store: Store, settings: Settings, period: Period, found: RegionTable,
                  stage: str | None, fmt: str, today: date, unit_name: str | None = None,
                  head: str = "", reviewer: str = "", filler: str = "",
                  filed: str | None = None) -> list[Sheet]:
    """The sheets ``fmt`` shows of the table ``found`` (aggregator/figures/kept.py
    ``region_table``: the kept official table the page shows, at the same generation)
    (common/tables.py FORMATS: official form for table/xlsx/pdf, analysis form for csv/json).

    ``today`` is the date written when nobody has signed yet and ``filed`` is not given.
    Raises CatalogueError (stage).
    """
    signed = ({s.role: s for s in signoff.approvals_of(store, period)}
              if found.region == settings.region else {})

    def by(role: str, given: str) -> str:
        held = signed.get(role)
        if given or held is None:
            return given
        return held.name or f"免签 waived: {held.waiver_reason}"

    latest = max((s.date for s in signed.values()), default=None)
    sign_off = SignOff(
        unit=unit_name if unit_name is not None else
        (found.region if is_school(found.region) else name(found.region)),
        head=by("head", head), reviewer=by("reviewer", reviewer), filler=by("filler", filler),
        date=filed or latest or today.isoformat())
    return table_sheets(found, fmt, period.label_zh, period.label_en, stage, 0.95, sign_off)


def estimates_sheet(holdings: Holdings, unit: str, stage: str | None,
                    confidence: float = 0.95) -> Sheet:
    """The analysis form of ``unit`` (a region or school within this aggregator) from the
    estimates alone (statistics.region_figures, analysis_sheet): unbiased estimates, noise
    variances and unclipped ``confidence`` intervals of the cells of ``stage`` (all if None),
    no official figure beside them and none made or waited for. What the /table page's
    analysis form shows, its CSV export and ``guanai aggregator table --format csv|json``.
    Raises TableError (nothing held, or outside this aggregator), CatalogueError (stage)."""
    period = holdings.period
    return analysis_sheet(region_figures(holdings, unit), holdings.catalogue,
                          cells_of(holdings.catalogue, stage), confidence,
                          f"{period.label_zh} {period.label_en}")
