"""The warnings of a period as staff read them: each with its history and the regions' responses.

`guanai aggregator warnings` and the bureaus' pages (/warnings, /warnings/map) show the same
thing: the signed warnings kept here (judged here, or received from above), their status
(新发 new, 持续 persisting since a period, 已解除 resolved), when each was delivered, and the
structured responses of the region warned. This module reads them once per period (two store
reads, whatever the number of warnings) and says which region's warning is the severest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from aggregator.figures.holdings import region_of, region_within
from aggregator.figures.nesting import Range, text
from aggregator.store.sqlite import Store, StoredResponse, StoredWarning
from aggregator.warnings.notices import answer_of, read_response, read_warning
from aggregator.warnings.rules import SEVERITIES
from aggregator.warnings.verdicts import ANSWERS, HERE
from protos.catalogue import Label
from protos.query_pb2 import Warning, WarningResponse

SEVERITY_RANK = {code: rank for rank, code in enumerate(SEVERITIES)}  # red first


@dataclass(frozen=True)
class Entry:
    """One warning kept here, decoded, with its responses in the order they were made."""

    stored: StoredWarning
    warning: Warning
    responses: tuple[StoredResponse, ...]

    @property
    def warns(self) -> bool:
        """Whether it is a warning (警示: new, persisting or resolved), not another answer
        (未见异常, 数据不足以判断: status judged)."""
        return self.stored.status != "judged"

    @property
    def active(self) -> bool:
        """Whether it is a warning that still holds (new or persisting)."""
        return self.warns and self.stored.status != "resolved"

    @property
    def answers(self) -> list[WarningResponse]:
        return [read_response(r.signed) for r in self.responses]

    @property
    def latest(self) -> WarningResponse | None:
        """The region's latest response, or None before it has answered."""
        return read_response(self.responses[-1].signed) if self.responses else None


def entries(store: Store, period: str | None = None, scope: str | None = None) -> list[Entry]:
    """The warnings kept here of ``period`` (a period code; None: every period), by period,
    region and rule, each with its responses; with ``scope`` (a region code) only those about
    that region or a region or school within it."""
    kept = store.warnings(period=period)
    held = store.period_responses(period) if period else store.warning_responses()
    responses: dict[str, list[StoredResponse]] = {}
    for response in held:
        responses.setdefault(response.warning_id, []).append(response)
    found = []
    for stored in kept:
        if scope is not None:
            where = region_of(store, stored.region)
            if where is None or not region_within(where, scope):
                continue
        found.append(Entry(stored, read_warning(stored.signed),
                           tuple(responses.get(stored.warning_id, ()))))
    return found


def severest(found: list[Entry]) -> dict[str, str]:
    """Region (or school) → the severity code (red, orange, yellow) of its severest warning
    that still holds; regions without one are left out."""
    worst: dict[str, str] = {}
    for entry in found:
        if not entry.active:
            continue
        region, severity = entry.stored.region, entry.warning.severity
        if region not in worst or SEVERITY_RANK[severity] < SEVERITY_RANK[worst[region]]:
            worst[region] = severity
    return worst


def shown(warning: Warning, x: float) -> str:
    """A warning's figure for display, as its rule's figures read (``nesting.text``): a share
    within 0–100%, another ratio in its units, a total at 0 or above unless the rule's figure
    may be negative (the signed warning keeps the unclipped estimate: clipping is for display
    only, invariant 4, docs/architecture.md)."""
    bounds = Range(-math.inf if warning.unbounded_below else 0.0,
                   1.0 if warning.kind == "share" else math.inf)
    return text(x, warning.kind, bounds)


def answer_label(warning: Warning) -> Label:
    """The answer of a notice (警示 warning, 未见异常, 数据不足以判断), in Chinese and in
    English, with where it was judged when not on this half-year alone."""
    said = ANSWERS[answer_of(warning)]
    if warning.basis_zh and warning.basis_zh != HERE.zh:
        return Label(f"{said.zh}（{warning.basis_zh}）", f"{said.en} ({warning.basis_en})")
    return said


def answer_text(warning: Warning) -> str:
    """``answer_label`` in Chinese, as the terminal's table shows it."""
    return answer_label(warning).zh
