"""References are random and short; a collision with an existing one is drawn again, not a failed insert."""
from __future__ import annotations

from logeer.booking import bookings
from logeer.extensions import db
from logeer.models import base
from tests.factories import days


def test_a_new_booking_never_gets_a_reference_already_in_use(factory, monkeypatch):
    w = factory.world()
    first = factory.booking(w.referrer, w.bed, w.guest, 3, 2)
    drawn = iter([first.reference, "LG-NEW001"])
    monkeypatch.setattr(base, "new_reference", lambda prefix, length=6: next(drawn))
    guest = factory.guest(w.referrer_org)
    second = bookings.create_booking(w.referrer, bed_id=w.other_bed.id, guest_id=guest.id, arrival=days(3),
                                     departure=days(5), reason="holiday", funding="wmo")
    db.session.commit()
    assert second.reference == "LG-NEW001"
