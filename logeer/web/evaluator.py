"""The evaluator's page: /dashboard (the statistics are added by the stats work; nothing is faked here)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from .helpers import acting_user, role_required

bp = Blueprint("evaluator", __name__)
EXPORTS = ("occupancy", "stays", "demand", "surveys")


def available_exports() -> list[str]:
    """The CSV exports the API offers in this version (only those are linked)."""
    rules = {rule.rule for rule in current_app.url_map.iter_rules()}
    return [name for name in EXPORTS if f"/api/v1/exports/{name}.csv" in rules]


@bp.get("/dashboard")
@role_required("evaluator", "coordinator")
def dashboard():
    user = acting_user()
    region = user.region
    today = region.today()
    start = region.setting("pilot_start") or today.replace(day=1).isoformat()
    return render_template("evaluator/dashboard.html", region=region, exports=available_exports(),
                           start=start, end=today.isoformat())
