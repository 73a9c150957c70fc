"""The booking domain: the bed pool, availability search, guests, bookings and their claims, the
waitlist and its matching, the audit log. Takes the acting user (and the moment) as arguments,
never touches the request; flushes, and leaves the commit to the transaction boundary
(logeer/transaction.py)."""
