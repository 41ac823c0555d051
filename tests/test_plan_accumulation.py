"""`guanai plan` states what one student accumulates over 3, 6 and 9 years and across a
transfer, and docs/budget.md says the same figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from guanai.cli import cli
from guanai.plan import accumulation
from privacy import dp
from privacy.budget import BudgetPolicy
from protos.catalogue import load
from protos.periods import Period
from protos.regions import SCHOOL_TYPES

DOCS = Path(__file__).resolve().parent.parent / "docs" / "budget.md"


def test_accumulation_adds_rho_over_years_and_charges_both_schools_in_a_transfer_year():
    policy = BudgetPolicy()
    rows = {row.en: row for row in accumulation(0.5, policy)}
    assert [rows[f"{n} years"].rho for n in (3, 6, 9)] == [3.0, 6.0, 9.0]
    assert [rows[f"{n} years"].rho_cap for n in (3, 6, 9)] == [n * policy.annual_cap
                                                              for n in (3, 6, 9)]
    transfer = rows["the year of a transfer (both schools count them)"]
    assert (transfer.rho, transfer.rho_cap) == (2.0, 2 * policy.annual_cap)
    assert rows["9 years with one transfer"].rho == 10.0
    assert rows["9 years"].epsilon == pytest.approx(dp.epsilon_delta(9.0, policy.delta))
    assert 29 < rows["9 years"].epsilon < 31


def test_the_plan_command_prints_it_and_the_docs_state_the_same_figures():
    result = CliRunner().invoke(cli, ["plan", "--school-type", "21", "--members", "1"])
    assert result.exit_code == 0, result.output
    docs = DOCS.read_text("utf-8")
    half_year = BudgetPolicy().charge_for(Period.parse("2025-H1"))  # own table and every level
    assert half_year == pytest.approx(0.5)
    for row in accumulation(half_year, BudgetPolicy()):
        assert f"{row.en}: ρ = {row.rho:g} ≈ ε = {row.epsilon:.1f}" in result.output
        assert f"{row.rho:.1f} ({row.epsilon:.1f}) | {row.rho_cap:.1f} ({row.epsilon_cap:.1f})" \
            in docs, row.en


def test_the_plan_shows_the_split_by_level_and_what_each_published_figure_buys():
    result = CliRunner().invoke(cli, ["plan", "--school-type", "21", "--members", "1,140"])
    assert result.exit_code == 0, result.output
    assert "a half-year costs each student ρ = 0.5" in result.output
    assert "county 0.3, city 0.05, province 0.1" in result.output
    # a county's monitored count, noised once by each party: within the issue's ±20
    scale = dp.noise_plan(load(), 0.3, frozenset(SCHOOL_TYPES["21"][1]))["monitored"].scale
    width = dp.accuracy(scale, 0.05, 2)
    assert f"monitored students: σ = {scale:.2f} per party, ±{width:.1f} published (95%)" \
        in result.output and width <= 20
    fewer = CliRunner().invoke(cli, ["plan", "--school-type", "21", "--rho-city", "0"])
    assert "city's published figure" not in fewer.output and "ρ = 0.45" in fewer.output
