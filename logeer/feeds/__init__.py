"""Feeds other systems read: a provider's iCalendar feed of arrivals and departures (ical.py)."""
