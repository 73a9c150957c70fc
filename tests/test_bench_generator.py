"""scripts/bench's data generator at pilot scale (SQLite, a few seconds): the rules hold in what it loads."""
from __future__ import annotations

import os
import sys

import pytest

SCRIPTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts")


@pytest.fixture
def perf(monkeypatch):
    monkeypatch.syspath_prepend(SCRIPTS)
    for name in ("LOGEER_DATABASE_URL", "LOGEER_SECRET_KEY", "LOGEER_MAIL_URL"):  # set by the tool; restored
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    import perf.common
    import perf.generate
    import perf.loadtest

    perf.common.QUIET = False
    yield perf
    for name in [m for m in sys.modules if m == "perf" or m.startswith("perf.")]:
        del sys.modules[name]


def test_the_pilot_data_set_loads_with_every_rule_kept(perf, tmp_path):
    data = perf.generate.build("pilot", "sqlite", directory=str(tmp_path), save=False)
    counts = data["counts"]
    assert counts["beds"] == 7 and counts["regions"] == 1
    assert 60 <= counts["bookings"] <= 200 and counts["waitlist_entries"] == 30
    assert counts["bed_nights"] > counts["bookings"] and counts["guest_nights"] > 0
    # No bed-night claimed twice, no overlapping stays of a guest, every stay with all its nights.
    assert perf.loadtest.integrity(data["url"]) == dict.fromkeys(perf.loadtest.CHECKS, 0)
