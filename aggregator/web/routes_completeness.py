"""完整性（一个都不少）: who has reported for a period — on time, late, returned, missing.

The figures are those of ``guanai aggregator status`` (aggregator/calendar/completeness.py),
drilled down from the account's region to the schools.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from aggregator.calendar.completeness import by_region, member_status
from aggregator.calendar.timeliness import deadlines
from aggregator.figures.holdings import region_within
from aggregator.web.access import allowed, period_param, scoped_region
from aggregator.web.bureau import bureau
from protos.periods import Period

blueprint = Blueprint("completeness", __name__)


@blueprint.get("/completeness")
@allowed()
def overview() -> str:
    """``/completeness?period=P&region=R``."""
    here = bureau()
    period = period_param(request.args.get("period"), Period.containing(here.today()))
    region = scoped_region(request.args.get("region"))
    regions = [r for r in by_region(member_status(here.store, period))
               if region_within(r.region, region)]
    return render_template("completeness.html", period=period, region=region, regions=regions,
                           limits=deadlines(here.store, period))
