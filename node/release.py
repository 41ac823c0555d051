"""Releasing a period's table: validate, charge the budget, add noise, store — once.

A release is made once per (period, revision) and stored before anything else can happen
(invariant 2, docs/architecture.md): asking again returns the stored bytes, so a resend never carries fresh noise.
A correction is a new revision and spends budget again. The ledger charges the school's own
table and every level that publishes a figure from the period's shares (privacy/budget.py). The
budget check, the charge and the stored release are one transaction, so a refused release
spends nothing. With a helper imported (secure aggregation, node/shares.py), the two shares of
the true table are made in the same transaction.
"""

from __future__ import annotations

import os
from datetime import date, datetime

import sqlite_utils

from common.clock import SYSTEM, stamp
from common.errors import GuanaiError
from node import membership, table, validation
from node.shares import make_shares
from node.store import get_meta, releases, transaction
from node.store.releases import StoredRelease
from node.upstream import parent_policy
from privacy import dp
from privacy.budget import BudgetPolicy
from protos import report_pb2
from protos.catalogue import Catalogue, load
from protos.deadlines import to_ms
from protos.periods import Period
from protos.regions import school_stages


class NotInitialised(GuanaiError):
    """The store has no school identity yet."""


class NoAnnualTable(GuanaiError):
    """The annual period takes the work summary, which attaches the half-years' releases."""


def latest_release(db: sqlite_utils.Database, period: Period) -> StoredRelease | None:
    """The period's release of the highest revision, if any."""
    return releases.latest(db, period.code)


def get_release(db: sqlite_utils.Database, period: Period, revision: int) -> StoredRelease | None:
    """The release of (period, revision), if made."""
    return releases.get(db, period.code, revision)


def spent_in_year(db: sqlite_utils.Database, year: int) -> float:
    """ρ (zCDP) charged in calendar ``year``."""
    return releases.spent_in_year(db, year)


def true_table(db: sqlite_utils.Database, period: Period, catalogue: Catalogue,
               today: date | None = None) -> dict[str, int]:
    return table.compute(db, catalogue, table.Window.of(period, today))


def _identity(db: sqlite_utils.Database) -> tuple[str, str]:
    school_id, region = get_meta(db, "school_id"), get_meta(db, "region_code")
    if not school_id or not region:
        raise NotInitialised("this store has no school id (run `guanai node init` first)")
    return school_id, region


def release_period(
    db: sqlite_utils.Database,
    period: Period,
    recipient_id: str,
    policy: BudgetPolicy | None = None,
    *,
    correction: bool = False,
    today: date | None = None,
    catalogue: Catalogue | None = None,
    now: datetime | None = None,
) -> StoredRelease:
    """The period's stored release; made now (validated, charged, noised, stored) if none yet.

    With ``correction`` a new revision is made even if one exists, spending budget again.
    ``now`` (default: the system clock) stamps the release and its budget charge.
    """
    moment = now or SYSTEM.now()
    if period.annual:
        raise NoAnnualTable(
            f"年度不发布统计表 {period} takes the annual work summary (年度工作总结), which "
            f"attaches the year's released tables without new budget: `guanai node summary "
            f"--year {period} FILE`"
        )
    policy = (policy or BudgetPolicy()).within(parent_policy(db))  # never above what the parent takes
    catalogue = catalogue or load()
    school_id, region = _identity(db)
    with transaction(db):
        existing = latest_release(db, period)
        if existing and not correction:
            return existing
        true_values = true_table(db, period, catalogue, today)
        validation.check(catalogue, true_values)
        spent = spent_in_year(db, period.year)
        # The ledger charges the table and every level's figure its shares will be summed
        # into (docs/secure-aggregation.md); the table's own noise is for its own ρ.
        rho = policy.check(period, spent, levels=True)
        noisy = dp.release(catalogue, [true_values[c.id] for c in catalogue.cells],
                           policy.rho_for(period), frozenset(school_stages(school_id)))
        revision = existing.revision + 1 if existing else 1
        report = report_pb2.Report(
            report_id=os.urandom(16),
            kind=report_pb2.Report.SCHOOL,
            sender_id=school_id,
            region_code=region,
            recipient_id=recipient_id,
            period=period.code,
            catalogue_version=catalogue.version,
            revision=revision,
            values=noisy.values,
            noise_variance=noisy.noise_variance,
            noise=[
                report_pb2.NoiseGroup(
                    group=n.group, mechanism=dp.MECHANISM, scale=n.scale,
                    l2_sensitivity=n.sensitivity, rho=n.rho,
                )
                for n in noisy.noise.values()
            ],
            budget=report_pb2.Budget(
                rho=rho,
                rho_year_total=spent + rho,
                rho_year_cap=policy.annual_cap,
                epsilon=dp.epsilon_delta(spent + rho, policy.delta),
                delta=policy.delta,
            ),
            created_unix_ms=to_ms(moment),
            stage_code=school_id[:2],
        )
        releases.add(db, period.year, period.code, revision, rho, true_values,
                     report.SerializeToString(), stamp(moment))
        helper = membership.helper(db)
        if helper is not None:  # secure aggregation: the two shares, made once with the release
            make_shares(db, school_id=school_id, region=region, period=period.code,
                        catalogue_version=catalogue.version, revision=revision,
                        vector=[true_values[c.id] for c in catalogue.cells],
                        leader=membership.parent(db), helper=helper, at=moment)
    return latest_release(db, period)
