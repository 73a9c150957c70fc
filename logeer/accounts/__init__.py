"""Accounts beyond the basics of logeer.booking.accounts: the password policy, invitation and
reset links sent by e-mail, and two-factor log-in. Domain code: takes the acting user and the
moment as arguments, flushes, never commits, never touches the request."""
