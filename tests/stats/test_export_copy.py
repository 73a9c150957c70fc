"""On PostgreSQL the occupancy CSV comes from COPY; it is the same text, byte for byte, as Python's writer."""
from __future__ import annotations

import pytest

from logeer.extensions import db
from logeer.models import Bed, Location
from logeer.stats import exports
from tests.stats import scenario
from tests.stats.scenario import END, START

# Text a spreadsheet could run as a formula (at the start or after any separator) is guarded, numbers are not.
TRICKY = ["Kamer B;=cmd|' /C calc'!A0", "x,@SUM(1)", "x\t=1", "Linde\n=2+2", "a|-2+3;\r+A1", "Kamer; \"=1+1\"",
          "=HYPERLINK(\"http://x.test\")", "-5", "+31 6 1234", "@home", "-1.5e3", "+inf", "\tTab", "Kamer, met komma",
          "Zeg \"hoi\"", "-", "1_000", "-nan"]


def test_the_copy_csv_equals_the_python_csv(app, backend):
    if backend != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    s = scenario.build()
    beds = db.session.query(Bed).join(Location).order_by(Bed.id).all()
    beds[0].location.name = "@Linde"
    seen = ""
    for first in range(0, len(TRICKY), len(beds)):
        for bed, label in zip(beds, TRICKY[first:first + len(beds)]):
            bed.label = label
        db.session.commit()
        export = exports.occupancy_export(s.region, START, END)
        assert export.copy_query is not None
        from_copy = "".join(exports.csv_chunks(export))
        python_only = exports.Export(export.name, export.columns, exports.occupancy_export(s.region, START, END).rows)
        assert from_copy == "".join(exports.csv_chunks(python_only))
        seen += from_copy
    assert "'=HYPERLINK" in seen and ",-5," in seen and ",'@home," in seen and ",'@Linde," in seen
