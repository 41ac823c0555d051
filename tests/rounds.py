"""A province, its counties and their schools serving on loopback, with reports of chosen values.

For the query and warning tests: each school's report is a valid catalogue-v1 report whose
cells named in the test hold the values given (the others hold small filler values), and
whose declared noise variance is ``variance`` per noisy cell. Round numbers keep the expected
figures readable, so these aggregators run with a federation policy (``ROUND_NUMBERS``) that
allows so little noise; the policy itself is tested in tests/test_privacy_policy.py.
"""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import grpc
from nacl.signing import SigningKey

from aggregator.grpc.server import Tls
from aggregator.rollup.build import send_rollup
from aggregator.store.sqlite import Store
from member.client import Backoff
from privacy import credential
from privacy.budget import BudgetPolicy
from protos.aggregator_pb2_grpc import AggregatorStub
from protos.catalogue import load
from protos.periods import Period
from protos.regions import school_stages
from tests.federation import Aggregator, make_report, school_identity, sealed, signed_off

CAT = load()
H1 = Period.parse("2025-H1")
# Variance 9 in every group (the yuan group too) spends ρ up to ≈ 6e7 (a university): allowed here only.
ROUND_NUMBERS = BudgetPolicy(rho_half_year=1e9, rho_annual=1e9, annual_cap=1e12)
FAST = dict(attempts=5, backoff=Backoff(initial=0.05, maximum=0.2), timeout=10)


class Round:
    """``layout``: county code → its school ids; ``direct``: (school id, county) pairs that
    report straight to the province; ``clock``: the servers' clock (default the system's);
    ``province_tls``: the province serves gRPC with this TLS (its server certificate, and a
    client CA for mutual TLS), its export naming the CA (PEM text) that signed it."""

    def __init__(self, folder: Path, layout: dict[str, list[str]],
                 direct: tuple[tuple[str, str], ...] = (), clock=None,  # noqa: ANN001
                 province_tls: tuple[Tls, str] | None = None) -> None:
        serving = {"budget": ROUND_NUMBERS} | ({"clock": clock} if clock else {})
        self.province = Aggregator(folder, "610000", "province")
        if province_tls is not None:
            self.province.tls_ca = province_tls[1]
        self.province.start(**serving, **({"tls": province_tls[0]} if province_tls else {}))
        self.counties = {code: Aggregator(folder, code, "county", "610000") for code in layout}
        self.keys: dict[str, SigningKey] = {}
        self.home: dict[str, tuple[str, Aggregator]] = {}
        for code, county in self.counties.items():
            county.start(**serving)
            county.set_parent(self.province)
            self.province.enrol(county.identity())
            for school_id in layout[code]:
                self._enrol(school_id, code, county)
        for school_id, region in direct:
            self._enrol(school_id, region, self.province)

    def _enrol(self, school_id: str, region: str, parent: Aggregator) -> None:
        key = SigningKey.generate()
        self.keys[school_id] = key
        self.home[school_id] = (region, parent)
        parent.enrol(school_identity(school_id, region, key, f"测试学校{school_id[-4:]}"))

    def submit(self, school_id: str, cells: dict[str, int], period: Period = H1,
               revision: int = 1, variance: float = 9.0) -> None:
        region, parent = self.home[school_id]
        report = make_report(school_id, region, parent.settings.region, period.code, revision)
        for cell, value in cells.items():
            report.values[CAT.cell(cell).index] = value
        report.noise_variance[:] = [variance if v else 0.0 for v in report.noise_variance]
        for group in report.noise:
            group.scale = math.sqrt(variance)
        with grpc.insecure_channel(parent.running.address) as channel:
            AggregatorStub(channel).Submit(sealed(report, self.keys[school_id], parent),
                                           timeout=10)

    def roll_up(self, period: Period = H1) -> None:
        for county in self.counties.values():
            store = Store(county.db)
            try:
                made = signed_off(store, county.settings, period)
                send_rollup(store, county.settings, self.province.identity(), made, **FAST)
            finally:
                store.close()

    def staff(self, at: Aggregator, region: str, days: float = 1.0) -> bytes:
        """A staff credential issued by ``at`` for ``region``."""
        return credential.issue(at.settings.signing_key, at.settings.region, "staff", region,
                                "staff-1", timedelta(days=days))

    def school(self, school_id: str) -> bytes:
        return credential.issue(self.keys[school_id], school_id, "school", school_id, "aid-office",
                                timedelta(days=1))

    def stop(self) -> None:
        for aggregator in (*self.counties.values(), self.province):
            aggregator.stop()


def healthy(school_id: str, **changes: int) -> dict[str, int]:
    """Cells a school doing its work releases (with noise of variance 9 on each)."""
    stage = school_stages(school_id)[0]
    cells = {c: 0 for c in CAT.expand("pop.category.disability.*")}
    cells |= {c: 0 for c in CAT.expand("acad.placement.*")} | {c: 0 for c in CAT.expand(
        "acad.absent.*")}
    cells |= {"acad.reg_expected": 400, "acad.dropped_out": 0, "acad.absent.illness": 4,
              "acad.returned": 4, "key.current": 200, "psy.talk_monthly": 196,
              "aid.assessed": 100, "aid.highest_tier": 97, f"pop.category.disability.{stage}": 20,
              "pop.disabled": 20,
              "acad.placement.regular_class": 20, "mentor.assigned": 198}
    return cells | changes
