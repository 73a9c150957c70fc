"""The evaluator's page: /dashboard (the statistics are added by the stats work; nothing is faked here)."""
from __future__ import annotations

from flask import Blueprint, current_app

bp = Blueprint("evaluator", __name__)
EXPORTS = ("occupancy", "stays", "demand", "surveys")


def available_exports() -> list[str]:
    """The CSV exports the API offers in this version (only those are linked)."""
    rules = {rule.rule for rule in current_app.url_map.iter_rules()}
    return [name for name in EXPORTS if f"/api/v1/exports/{name}.csv" in rules]


# The /dashboard page itself lives in logeer/web/dashboard.py (the evaluation work).
