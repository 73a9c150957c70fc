"""Every metric of DOMAIN.md on the hand-built data set (tests/stats/scenario.py), worked out by hand.

The range is the nights [2025-03-01, 2025-05-01): March 31 nights, April 30 nights. Each test
writes the arithmetic next to the expected value; scenario.py describes every row.
"""
from __future__ import annotations

import datetime as dt

import pytest

from logeer.stats import demand, metrics, stays, surveys
from logeer.stats.summary import evaluation_summary, occupancy_summary
from tests.stats import scenario
from tests.stats.scenario import END, START


@pytest.fixture
def s(app):
    return scenario.build()


def test_bed_night_totals_match_the_hand_count(s):
    counts = metrics.totals(s.region.id, START, END)
    # offered: A1 61 + A2 31 (15 Mar..14 Apr) + B1 61 + B2 31 (until its deactivation on 1 Apr) = 184
    assert counts.offered == 184
    # closed inside availability: A1 10-12 Mar (3) + B1 28-30 Apr (3, the closure runs on into May);
    # A2's closure on 20-21 Apr lies outside its availability and counts for nothing
    assert counts.closed == 6
    # available = 184 - 6
    assert counts.available == 178
    # occupied: S1 1-3 Mar (3) + S2 5-9 Mar (5, early check-out; the turnaround night 10 Mar is not
    # occupied) + D2 16-17 Mar (2) + S7 1-5 Apr (5) + S8 27-30 Apr (4 of its 7 nights) + S9 25-28 Mar (4)
    # = 23; no-show S3, declined S4/D1 and cancelled S5 hold no nights
    assert counts.occupied == 23
    # pending: S6 (requested) 20-22 Apr = 3; held: W3's open offer on B1 14-16 Apr = 3
    assert counts.pending == 3
    assert counts.held == 3
    # occupancy rate = 23 / 178 = 0.12921...
    assert counts.occupancy_rate == 0.1292


def test_bed_nights_by_provider_match_the_hand_count(s):
    by = metrics.bed_nights(s.region.id, START, END, by="provider")
    a, b = by[(s.zorg_a.id, None)], by[(s.zorg_b.id, None)]
    # Zorg A: offered 61 (A1) + 31 (A2) = 92, closed 3 -> 89; occupied S1 3 + S7 5 + S8 4 = 12; pending 3
    assert (a.available, a.occupied, a.pending, a.held, a.closed) == (89, 12, 3, 0, 3)
    assert a.occupancy_rate == 0.1348  # 12 / 89 = 0.13483
    # Zorg B: offered 61 (B1) + 31 (B2) = 92, closed 3 -> 89; occupied S2 5 + D2 2 + S9 4 = 11; held 3
    assert (b.available, b.occupied, b.pending, b.held, b.closed) == (89, 11, 0, 3, 3)
    assert b.occupancy_rate == 0.1236  # 11 / 89 = 0.12360


def test_bed_nights_by_month_match_the_hand_count(s):
    by = metrics.bed_nights(s.region.id, START, END, monthly=True)
    march, april = by[(None, "2025-03")], by[(None, "2025-04")]
    # March: offered A1 31 + A2 17 + B1 31 + B2 31 = 110, closed 3 (A1) -> 107
    #        occupied S1 3 + S2 5 + D2 2 + S9 4 = 14
    assert (march.available, march.occupied, march.closed) == (107, 14, 3)
    assert march.occupancy_rate == 0.1308  # 14 / 107 = 0.13084
    # April: offered A1 30 + A2 14 + B1 30 + B2 0 (deactivated) = 74, closed 3 (B1) -> 71
    #        occupied S7 5 + S8 4 = 9; pending 3; held 3
    assert (april.available, april.occupied, april.pending, april.held, april.closed) == (71, 9, 3, 3, 3)
    assert april.occupancy_rate == 0.1268  # 9 / 71 = 0.12676


def test_bed_nights_by_location_and_municipality_match_the_hand_count(s):
    by_location = metrics.bed_nights(s.region.id, START, END, by="location")
    # Linde Enschede (A1): 61 - 3 closed = 58 available, S1 3 + S8 4 = 7 occupied
    assert (by_location[(s.locations["A1"].id, None)].available, by_location[(s.locations["A1"].id, None)].occupied) == (58, 7)
    # Linde Borne (A2): 31 available (its closure is outside availability), S7 5 occupied
    assert (by_location[(s.locations["A2"].id, None)].available, by_location[(s.locations["A2"].id, None)].occupied) == (31, 5)
    # Esrein Hengelo (B1, B2): 61 + 31 - 3 = 89 available, 5 + 2 + 4 = 11 occupied
    assert (by_location[(s.locations["B"].id, None)].available, by_location[(s.locations["B"].id, None)].occupied) == (89, 11)
    by_municipality = metrics.bed_nights(s.region.id, START, END, by="municipality")
    assert {k[0]: (c.available, c.occupied) for k, c in by_municipality.items()} == {
        "Enschede": (58, 7), "Borne": (31, 5), "Hengelo": (89, 11)}


def test_a_range_inside_one_stay_counts_only_its_own_nights(s):
    # 3 March alone: S1's last night (A1); A1, B1, B2 available (A2 starts 15 March) = 3 beds
    counts = metrics.totals(s.region.id, dt.date(2025, 3, 3), dt.date(2025, 3, 4))
    assert (counts.available, counts.occupied) == (3, 1)
    # 10 March: A1 closed, B1 holds S2's turnaround night (available, not occupied), B2 free
    counts = metrics.totals(s.region.id, dt.date(2025, 3, 10), dt.date(2025, 3, 11))
    assert (counts.available, counts.occupied, counts.closed) == (2, 0, 1)


def test_demand_requests_placed_and_unmet_match_the_hand_count(s):
    counts = demand.demand_counts(s.region.id, START, END, s.region.tz)
    # direct bookings created in March/April (local dates): S3 (28 Feb 23:30 UTC = 1 Mar local), S4, S5,
    # S6, S9, D1, D2 = 7 (S1, S2 created in February, S10 on 30 Apr 22:30 UTC = 1 May local: outside);
    # waitlist entries W1..W5 = 5; requests = 7 + 5 = 12
    assert counts["requests"] == 12
    # placed (reached confirmed): S3 (then a no-show), S9, D2, W2 (-> S7), W5 (-> S8) = 5
    assert counts["placed"] == 5
    # unmet: W1 expired + S4 declined and never placed elsewhere = 2 (D1 was declined, but the same
    # guest got D2 for the same nights, so it is not unmet)
    assert counts["unmet"] == 2
    assert counts["by_outcome"] == {"placed": 5, "declined": 1, "declined_placed_elsewhere": 1, "expired": 1,
                                    "cancelled": 1, "withdrawn": 1, "open": 2}  # open: S6 requested, W3 offered


def test_demand_by_reason_match_the_hand_count(s):
    by = demand.demand_breakdown(s.region.id, START, END, s.region.tz, "reason")
    # holiday: S3 placed, S4 unmet, W1 unmet, W2 placed
    assert by["holiday"] == {"requests": 4, "placed": 2, "unmet": 2}
    # weekend: S5 cancelled, S9 placed, D1 declined but placed elsewhere, D2 placed
    assert by["weekend"] == {"requests": 4, "placed": 2, "unmet": 0}
    # other: S6 open, W4 withdrawn; caregiver_illness: W3 open, W5 placed
    assert by["other"] == {"requests": 2, "placed": 0, "unmet": 0}
    assert by["caregiver_illness"] == {"requests": 2, "placed": 1, "unmet": 0}


def test_demand_by_kind_and_municipality_match_the_hand_count(s):
    by_kind = demand.demand_breakdown(s.region.id, START, END, s.region.tz, "kind")
    # bookings: 7 requests, placed S3 S9 D2, unmet S4; waitlist: 5, placed W2 W5, unmet W1
    assert by_kind == {"booking": {"requests": 7, "placed": 3, "unmet": 1},
                       "waitlist": {"requests": 5, "placed": 2, "unmet": 1}}
    by_municipality = demand.demand_breakdown(s.region.id, START, END, s.region.tz, "municipality")
    # the guest's municipality: Almelo S3 (g3), S9 (g9), W3 (g13); Borne S6 (g6), W1 (g12); Enschede S4 (g4),
    # W2 (g7); Hengelo D1, D2 (g10), W5 (g8); Oldenzaal S5, W4 (g5)
    assert by_municipality == {
        "Almelo": {"requests": 3, "placed": 2, "unmet": 0},
        "Borne": {"requests": 2, "placed": 0, "unmet": 1},
        "Enschede": {"requests": 2, "placed": 1, "unmet": 1},
        "Hengelo": {"requests": 3, "placed": 2, "unmet": 0},
        "Oldenzaal": {"requests": 2, "placed": 0, "unmet": 0},
    }


def test_stays_and_their_breakdowns_match_the_hand_count(s):
    # stays: confirmed/checked-in/completed bookings with a night in the range: S1, S2, D2, S7, S8, S9
    assert stays.stays_count(s.region, START, END) == 6
    # All groupings from one pass over the stays, as the evaluation summary asks for them.
    grouped = stays.stay_breakdowns(s.region, START, END, ("reason", "funding", "care_profile"))
    by_reason = grouped["reason"]
    # holiday S1 (3 nights in range) + S7 (5); weekend D2 (2) + S9 (4); surgery S2 (5); illness S8 (4)
    assert by_reason == {
        "holiday": {"stays": 2, "occupied_bed_nights": 8},
        "weekend": {"stays": 2, "occupied_bed_nights": 6},
        "caregiver_surgery": {"stays": 1, "occupied_bed_nights": 5},
        "caregiver_illness": {"stays": 1, "occupied_bed_nights": 4},
    }
    by_funding = grouped["funding"]
    # wlz S1 3 + D2 2 + S7 5 = 10; wmo S2 5; zvw S8 4; private S9 4
    assert by_funding == {
        "wlz": {"stays": 3, "occupied_bed_nights": 10},
        "wmo": {"stays": 1, "occupied_bed_nights": 5},
        "zvw": {"stays": 1, "occupied_bed_nights": 4},
        "private": {"stays": 1, "occupied_bed_nights": 4},
    }
    by_profile = grouped["care_profile"]
    # psychogeriatric: S8 (g8) 4 nights; somatic: the other five, 23 - 4 = 19 nights
    assert by_profile == {"psychogeriatric": {"stays": 1, "occupied_bed_nights": 4},
                          "somatic": {"stays": 5, "occupied_bed_nights": 19}}
    assert stays.stay_breakdown(s.region, START, END, "funding") == by_funding


def test_age_bands_use_the_kept_band_then_the_birth_year_then_the_erased_guests_band(s):
    by_band = stays.stay_breakdown(s.region, START, END, "age_band")
    # 85-89: S1 (kept on the booking) 3 + D2 (kept) 2 + S9 (kept) 4 = 9 nights
    # 70-74: S2, none kept: 2025 - 1951 = 74 -> 5 nights
    # 80-84: S7, guest erased (no birth year): the guest's kept band -> 5 nights
    # 75-79: S8 (kept) -> 4 nights
    assert by_band == {
        "85-89": {"stays": 3, "occupied_bed_nights": 9},
        "70-74": {"stays": 1, "occupied_bed_nights": 5},
        "80-84": {"stays": 1, "occupied_bed_nights": 5},
        "75-79": {"stays": 1, "occupied_bed_nights": 4},
    }


def test_breakdowns_of_stays_add_up_to_the_occupied_bed_nights(s):
    total = metrics.totals(s.region.id, START, END).occupied
    for by in stays.STAY_GROUPS:
        groups = stays.stay_breakdown(s.region, START, END, by)
        assert sum(g["occupied_bed_nights"] for g in groups.values()) == total, by
        assert sum(g["stays"] for g in groups.values()) == 6, by


def test_median_lead_time_counts_from_the_local_creation_date(s):
    # lead times of the six stays: S7 4, S9 10, D2 10, S2 12 (created 20 Feb 23:30 UTC = 21 Feb local;
    # with the UTC date it would be 13), S8 17, S1 24 -> sorted 4 10 10 12 17 24, median (10 + 12) / 2
    assert stays.median_lead_time(s.region, START, END) == 11.0


def test_median_time_to_placement_counts_days_from_entry_to_accepted_offer(s):
    # W2: entry 25 Mar, offer accepted 28 Mar -> 3; W5: entry 3 Apr, accepted 10 Apr -> 7; median 5
    assert demand.median_time_to_placement(s.region.id, START, END, s.region.tz) == 5.0
    # March only: W2 alone
    assert demand.median_time_to_placement(s.region.id, START, dt.date(2025, 4, 1), s.region.tz) == 3.0


def test_median_of_nothing_is_none(s):
    empty = (dt.date(2030, 1, 1), dt.date(2030, 2, 1))
    assert stays.median_lead_time(s.region, *empty) is None
    assert demand.median_time_to_placement(s.region.id, *empty, s.region.tz) is None


def test_questionnaire_figures_match_the_hand_count(s):
    figures = surveys.survey_figures(s.region, START, END)
    # stays arriving in the range with invitations: S2 (before, after), S7 (before, after), S9 (before,
    # after), D2 (before) = 7 invitations; answered: S2 2 + S7 2 + S9 1 = 5 (S1 arrived in February)
    assert (figures["invitations"], figures["responses"]) == (7, 5)
    assert figures["response_rate"] == 0.7143  # 5 / 7 = 0.71428...
    assert figures["by_phase"] == {"before": {"invitations": 4, "responses": 3},
                                   "after": {"invitations": 3, "responses": 2}}
    # burden before: (8 + 9 + 6) / 3 = 7.67; after: (5 + 4) / 2 = 4.5
    assert (figures["mean_burden_before"], figures["mean_burden_after"]) == (7.67, 4.5)
    # change per stay with both: S2 5 - 8 = -3, S7 4 - 9 = -5; mean -4.0 over 2 stays
    assert (figures["stays_with_both"], figures["mean_burden_change"]) == (2, -4.0)


def test_contract_summary_matches_the_hand_count(s):
    summary = occupancy_summary(s.region, START, END)
    assert {k: summary[k] for k in ("available_bed_nights", "occupied_bed_nights", "pending_bed_nights",
                                    "held_bed_nights", "occupancy_rate", "stays", "requests", "placed", "unmet")} == {
        "available_bed_nights": 178, "occupied_bed_nights": 23, "pending_bed_nights": 3, "held_bed_nights": 3,
        "occupancy_rate": 0.1292, "stays": 6, "requests": 12, "placed": 5, "unmet": 2}
    assert summary["by_provider"] == [
        {"provider_id": s.zorg_a.id, "name": "Zorg A", "available_bed_nights": 89, "occupied_bed_nights": 12,
         "occupancy_rate": 0.1348},
        {"provider_id": s.zorg_b.id, "name": "Zorg B", "available_bed_nights": 89, "occupied_bed_nights": 11,
         "occupancy_rate": 0.1236},
    ]
    assert summary["by_month"] == [
        {"month": "2025-03", "available_bed_nights": 107, "occupied_bed_nights": 14, "occupancy_rate": 0.1308},
        {"month": "2025-04", "available_bed_nights": 71, "occupied_bed_nights": 9, "occupancy_rate": 0.1268},
    ]


def test_evaluation_summary_is_built_from_the_same_functions(s):
    summary = evaluation_summary(s.region, START, END)
    assert summary["occupied_bed_nights"] == 23 and summary["closed_bed_nights"] == 6
    assert summary["median_lead_time_days"] == 11.0 and summary["median_days_to_placement"] == 5.0
    assert summary["surveys"]["mean_burden_change"] == -4.0 and summary["surveys"]["response_rate"] == 0.7143
    # occupancy per provider and month adds up to the provider totals: Zorg A March 3 + April 9 = 12
    cells = {(r["name"], r["month"]): r["occupied_bed_nights"] for r in summary["by_provider_month"]}
    assert cells == {("Zorg A", "2025-03"): 3, ("Zorg A", "2025-04"): 9,
                     ("Zorg B", "2025-03"): 11, ("Zorg B", "2025-04"): 0}
    # demand per month: March S3 S9 D1 D2 S4 S5 + W1 W2 = 8 (placed S3 S9 D2 W2 = 4, unmet S4 W1 = 2);
    # April S6 + W3 W4 W5 = 4 (placed W5 = 1)
    assert summary["demand_by_month"] == [
        {"month": "2025-03", "requests": 8, "placed": 4, "unmet": 2},
        {"month": "2025-04", "requests": 4, "placed": 1, "unmet": 0},
    ]
    assert {row["value"]: row["requests"] for row in summary["demand_by"]["reason"]} == {
        "holiday": 4, "weekend": 4, "other": 2, "caregiver_illness": 2}


def test_occupancy_rate_is_none_when_nothing_was_available(s):
    summary = occupancy_summary(s.region, dt.date(2030, 1, 1), dt.date(2030, 1, 8))
    assert summary["available_bed_nights"] == 0 and summary["occupancy_rate"] is None
    assert all(row["occupancy_rate"] is None for row in summary["by_provider"])
