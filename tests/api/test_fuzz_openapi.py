"""No input gives a server error: schemathesis over /api/v1/openapi.json, as each role, on both databases.

For each of a referrer, a provider, an evaluator and a coordinator (each in a region of its own, with
bookings in several states, a closure, a waitlist entry with an open offer and one waiting), the
schemathesis engine runs its phases in-process against the WSGI app, as `schemathesis run` does:
examples, coverage (boundary and invalid values of every parameter and body field), fuzzing
(Hypothesis-generated requests) and stateful (chains along the document's OpenAPI links: create ->
read -> change). It authenticates with a bearer token from POST /api/v1/auth/token.

Checks on every response: no 5xx (`not_a_server_error`), and every 4xx is the contract's error shape
``{"error": {"code", "message", "fields"?}}``. The run is bounded (max examples per operation,
stateful scenarios and steps) and deterministic (fixed seed, derandomized), so CI repeats the same
cases. The requests per phase, their status classes and the operations that answered 2xx are printed
with each test (also without ``-s``) and the counts attached to the test report (``record_property``).
"""
from __future__ import annotations

import collections
import json
import warnings

import pytest
import schemathesis
import sqlalchemy as sa
from schemathesis import engine
from hypothesis.errors import HypothesisWarning
from schemathesis.engine import Status, events

from logeer import accounts
from logeer.booking import bookings, pool, waitlist
from logeer.extensions import db
from logeer.models import User
from tests.factories import MUNICIPALITIES, PASSWORD, days

SPEC = "/api/v1/openapi.json"
ROLES = ("referrer", "provider", "evaluator", "coordinator")
# Per operation and generating phase; the coverage phase enumerates its boundary and invalid values
# regardless. Chosen so the whole file takes about two minutes per database on two cores.
MAX_EXAMPLES = 12
STATEFUL_EXAMPLES = 40  # scenarios of the stateful phase, each at most STATEFUL_STEPS requests
STATEFUL_STEPS = 12
SEED = 20260101


@schemathesis.check
def error_shape(ctx, response, case):
    """A 4xx answer is the contract's error: {"error": {"code", "message", "fields"?}} and nothing else."""
    if not 400 <= response.status_code < 500 or case.operation.path.startswith("/ical/"):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{response.status_code} without a JSON body: {response.content[:200]!r}") from None
    error = body.get("error") if isinstance(body, dict) else None
    if not (isinstance(body, dict) and set(body) == {"error"} and isinstance(error, dict)):
        raise AssertionError(f"{response.status_code} not in the error shape: {body!r:.300}")
    if not (isinstance(error.get("code"), str) and error["code"] and isinstance(error.get("message"), str)
            and error["message"] and set(error) <= {"code", "message", "fields"}):
        raise AssertionError(f"{response.status_code} error without code or message, or with extra keys: {body!r:.300}")
    if "fields" in error and not (isinstance(error["fields"], dict) and error["fields"]):
        raise AssertionError(f"{response.status_code} error whose fields is not a non-empty object: {body!r:.300}")
    return None


CONFIG = {
    "seed": SEED,
    "workers": 1,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    "checks": {"enabled": False, "not_a_server_error": {"enabled": True}, "error_shape": {"enabled": True}},
    "phases": {"stateful": {"max-steps": STATEFUL_STEPS, "generation": {"max-examples": STATEFUL_EXAMPLES}}},
}


def build_region(factory, role: str) -> str:
    """A region of its own for ``role``: every kind of organisation, beds, guests and bookings; returns the
    e-mail address of its user."""
    region = factory.region(f"Fuzz {role}", municipalities=MUNICIPALITIES)
    users = {}
    for kind in ("coordinator", "provider", "referrer", "evaluator"):
        org = factory.organisation(region, kind, f"{kind.title()} ({role})")
        users[kind] = factory.user(org, f"{kind}@{role}.fuzz.test")
    provider, referrer = users["provider"], users["referrer"]
    location = factory.location(provider.organisation, "Enschede")
    bed = factory.bed(location, care_profiles=("somatic", "psychogeriatric"))
    other_bed = factory.bed(location, care_profiles=("somatic",))
    guest = factory.guest(referrer.organisation)
    other_guest = factory.guest(referrer.organisation, care_profile="psychogeriatric")
    factory.booking(referrer, bed, guest, 5, 3)                       # requested
    confirmed = factory.booking(referrer, bed, guest, 12, 2)
    bookings.transition(provider, confirmed.id, "confirm")
    pool.add_closure(provider, other_bed.id, days(40), days(42), "Onderhoud")
    # The psychogeriatric bed is free from day 20: this entry gets an open offer at once.
    waitlist.create_entry(referrer, {"guest_id": other_guest.id, "earliest_arrival": days(20),
                                     "latest_departure": days(30), "nights": 3, "reason": "holiday",
                                     "funding": "wlz", "municipalities": [], "care_profile": "psychogeriatric",
                                     "features": [], "urgent": False})
    # No bed has a hoist: this one waits.
    waitlist.create_entry(referrer, {"guest_id": guest.id, "earliest_arrival": days(50),
                                     "latest_departure": days(60), "nights": 2, "reason": "holiday",
                                     "funding": "wlz", "municipalities": [], "care_profile": None,
                                     "features": ["hoist"], "urgent": False})
    email = users[role].email
    # Ends the transaction of this thread's session: on SQLite it holds the write lock, and the requests
    # come from schemathesis's worker thread, through sessions of their own.
    db.session.commit()
    return email


def bearer_auth(app, email: str):
    """An auth provider: the role's bearer token from POST /auth/token, and a new one whenever the
    fuzzer itself ended it (DELETE /auth/token, ending the user's sessions, ...)."""

    class BearerToken:
        token: str | None = None

        def get(self, case, ctx):
            if self.token is None or not self.still_valid():
                self.token = self.new_token()
            return self.token

        def still_valid(self) -> bool:
            # A context of its own, closed before any request: on SQLite its transaction holds the write lock.
            with app.app_context():
                return accounts.user_for_token(self.token) is not None

        def new_token(self) -> str:
            response = app.test_client().post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
            if response.status_code == 200:
                return response.get_json()["token"]
            # The coordinator's run may have made the region ask for a second factor: a token as a script
            # holding one would have it.
            with app.app_context():
                user = db.session.scalar(sa.select(User).where(User.email == email))
                token, _ = accounts.issue_token(user, 1)
                db.session.commit()
            return token

        def set(self, case, data, ctx):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return BearerToken


def operation_id(case) -> str:
    return case.operation.definition.raw.get("operationId", case.operation.label)


def run_schemathesis(app, email: str) -> dict:
    """Every phase once; what was sent and answered, the failed checks and the engine's errors."""
    schema = schemathesis.openapi.from_wsgi(SPEC, app, config=schemathesis.Config.from_dict(CONFIG))
    schema.auth(refresh_interval=None)(bearer_auth(app, email))
    run = {
        "requests": collections.Counter(),                           # phase -> requests sent
        "statuses": collections.defaultdict(collections.Counter),    # phase -> status class -> count
        "succeeded": collections.defaultdict(set),                  # phase -> operationIds answered 2xx
        "linked": collections.Counter(),                             # stateful requests made along a link
        "failures": {},
        "errors": [],
    }
    with warnings.catch_warnings():
        # Hypothesis warns when it describes a large generated body (schemathesis silences it only in the
        # stateful phase); the suite turns warnings into errors.
        warnings.filterwarnings("ignore", category=HypothesisWarning, message="Generating overly large repr")
        stream = list(engine.from_schema(schema).execute())
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            phase = event.phase.value
            for case_id, interaction in event.recorder.interactions.items():
                run["requests"][phase] += 1
                node = event.recorder.cases.get(case_id)
                if node is not None and node.transition is not None:
                    run["linked"][phase] += 1
                if interaction.response is not None:
                    status = interaction.response.status_code
                    run["statuses"][phase][f"{status // 100}xx"] += 1
                    if (status < 300 and node is not None
                            and interaction.request.method == node.value.operation.method.upper()):
                        run["succeeded"][phase].add(operation_id(node.value))
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        key = f"{check.name}: {failure.operation} {failure.title}"
                        run["failures"].setdefault(key, f"{failure.message}\n{check.failure_info.code_sample}")
        elif isinstance(event, events.NonFatalError):
            run["errors"].append(f"{event.label}: {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            run["errors"].append(f"fatal: {event.exception!r}")
    return run


@pytest.mark.parametrize("role", ROLES)
def test_no_request_gets_a_server_error(app, factory, role, record_property, capsys):
    email = build_region(factory, role)
    run = run_schemathesis(app, email)

    requests = run["requests"]
    record_property("requests_per_phase", dict(requests))
    with capsys.disabled():
        print(f"\nschemathesis as {role} on {db.engine.dialect.name}:")
        for phase, count in requests.items():
            print(f"  {phase}: {count} requests {dict(run['statuses'][phase])}, "
                  f"{len(run['succeeded'][phase])} operations answered 2xx")
        print(f"  stateful: {run['linked']['stateful']} requests along links; 2xx: "
              f"{', '.join(sorted(run['succeeded']['stateful']))}")
    assert not run["failures"], "\n\n".join(f"{key}\n{detail}" for key, detail in run["failures"].items())
    assert not run["errors"], "\n".join(run["errors"])
    for phase in ("examples", "coverage", "fuzzing", "stateful"):
        assert requests[phase] > 0, f"the {phase} phase sent no request: {dict(requests)}"
    assert run["linked"]["stateful"] > 0, "the stateful phase followed no link"
