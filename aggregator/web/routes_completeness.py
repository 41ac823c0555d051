"""完整性（一个都不少）: who has reported for a period — on time, late, returned, missing.

The states are those of ``guanai aggregator status`` (aggregator/calendar/completeness.py, the
same functions), counted school by school and drilled down from the account's region: a
province by city, a city by county, a county school by school with names, with DHIS2's
reporting rate and on-time rate.
"""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from aggregator.calendar.completeness import STATES, child_of, tallies, unit_statuses
from aggregator.calendar.timeliness import deadlines
from aggregator.figures.holdings import region_within
from aggregator.web.access import allowed, period_param, scoped_region
from aggregator.web.bureau import bureau
from protos.regions import level, name, parents

blueprint = Blueprint("completeness", __name__)
ORDER = ["missing", "returned", "late", "on_time"]  # the schools listed, most urgent first
LISTED = 500


@blueprint.get("/completeness")
@allowed()
def overview() -> str:
    """``/completeness?period=P&region=R``: the region's tally, one row per part of it, and
    the schools not (yet) counted as reported, by name."""
    here = bureau()
    period = period_param(request.args.get("period"), here.latest_period())
    region = scoped_region(request.args.get("region"))
    units = unit_statuses(here.store, period)
    whole, rows = tallies(units, region)
    # a school's name: from its enrolled key file, else the imported register of schools
    names = {s.school_id: s.name for s in here.store.register() if s.name}
    names.update(here.store.member_names())
    schools = level(region) == "county"
    # A county lists every school; above it, those missing or returned (the late are counted
    # above and listed a level down), at most LISTED: a province may hold 15,000 schools.
    listed = sorted((u for u in units if child_of(region, u.unit, u.region) is not None
                     and (schools or u.state in ("missing", "returned"))),
                    key=lambda u: (ORDER.index(u.state), u.unit))
    trail = [r for r in reversed(parents(region)) if region_within(r, g.user.region)
             and region_within(r, here.settings.region)]
    return render_template(
        "completeness.html", period=period, region=region, whole=whole, rows=rows,
        schools=schools, listed=listed[:LISTED], more=max(0, len(listed) - LISTED), names=names, states=STATES, trail=trail, name=name,
        limits=deadlines(here.store, period), periods=here.period_choices(period))

