"""Text that could break a header, a CSV cell or a log line is refused at the door (API.md 1.1, Robustness).

Every single-line text field (names, labels, e-mail addresses, municipalities, the address, the
region's settings and survey questions, query values) refuses control characters and line
separators with 422 naming the field; multi-line fields (a booking's ``notes``, a ``reason``) take
line breaks and tab but no other control character. Each refusal leaves every table as it was.
Also here: the 500s the OpenAPI fuzzer (test_fuzz_openapi.py) found, each as a focused case.
"""
from __future__ import annotations

import copy

import pytest

from tests.api.test_bad_input import (  # noqa: F401 - scene is a fixture used here
    API,
    assert_error,
    by_name,
    error_problem,
    scene,
    send,
    table_rows,
)
from tests.factories import days

# A control character or line separator, each in the middle of otherwise good text.
NOT_ONE_LINE = {
    "line feed": "\n", "carriage return": "\r", "CRLF": "\r\n", "tab": "\t", "escape": "\x1b",
    "DEL": "\x7f", "NEL": "\x85", "line separator": "\u2028", "paragraph separator": "\u2029",
    "vertical tab": "\x0b", "form feed": "\x0c",
}

SURVEY_QUESTION = {"key": "rust", "kind": "scale", "text": "Hoeveel rust had u?", "min": 1, "max": 5,
                   "low_label": "Weinig", "high_label": "Veel", "text_before": "Voor", "text_after": "Na"}

# (endpoint in test_bad_input.BODY_ENDPOINTS, path of a single-line text field in its body, extra body)
SINGLE_LINE_FIELDS = [
    ("POST /auth/token", ("email",), {}),
    ("POST /organisations", ("name",), {}),
    ("POST /users", ("email",), {}),
    ("POST /users", ("name",), {}),
    ("PATCH /users/{id}", ("name",), {}),
    ("PATCH /regions/current", ("municipalities", 0), {"municipalities": ["Enschede", "Hengelo"]}),
    ("PATCH /regions/current", ("settings", "timezone"), {"settings": {"timezone": "Europe/Amsterdam"}}),
    ("PATCH /regions/current", ("settings", "daily_summary_time"), {"settings": {"daily_summary_time": "07:00"}}),
    *[("PATCH /regions/current", ("settings", "survey_questions", 0, key), {"settings": {
        "survey_questions": [dict(SURVEY_QUESTION)]}})
      for key in ("key", "text", "text_before", "text_after", "low_label", "high_label")],
    ("POST /locations", ("name",), {}),
    ("POST /locations", ("municipality",), {}),
    ("POST /locations", ("address",), {"address": "Dorpsstraat 1"}),
    ("POST /beds", ("label",), {}),
    ("PATCH /beds/{id}", ("label",), {}),
    ("POST /guests", ("name",), {}),
    ("POST /guests", ("municipality",), {}),
    ("POST /guests", ("caregiver", "name"), {}),
    ("POST /guests", ("caregiver", "email"), {}),
    ("POST /guests", ("caregiver", "phone"), {}),
    ("POST /waitlist", ("municipalities", 0), {}),
]

# (endpoint, multi-line field)
MULTI_LINE_FIELDS = [
    ("POST /bookings", "notes"),
    ("POST /bookings/{id}/decline", "reason"),
    ("POST /bookings/{id}/cancel", "reason"),
    ("POST /beds/{id}/closures", "reason"),
]


class Refusals:
    """Sends bad requests that must each be refused; collects every miss, and checks at the end that no
    table changed (one comparison for the batch: a refused request changes nothing, so neither do all)."""

    def __init__(self) -> None:
        self.misses: list[str] = []
        self.before = table_rows()

    def expect(self, label: str, send, status: int, code: str | None = None, field: str | None = None) -> None:
        problem = error_problem(send(), status, code, field)
        if problem:
            self.misses.append(f"{label}: {problem}")

    def assert_all_refused(self) -> None:
        after = table_rows()
        changed = sorted(name for name in after if after[name] != self.before[name])
        assert not self.misses and not changed, "\n".join(self.misses + ([f"tables changed: {changed}"] if changed else []))


def with_value(body: dict, path: tuple, make) -> dict:
    """A copy of ``body`` whose field at ``path`` is ``make(current value)``."""
    body = copy.deepcopy(body)
    container = body
    for step in path[:-1]:
        container = container[step]
    container[path[-1]] = make(container[path[-1]])
    return body


def message_at(error: dict, path: tuple):
    """The error message list for the field at ``path`` (JSON turns list indexes into strings)."""
    found = error.get("fields", {})
    for step in path:
        found = found.get(str(step)) if isinstance(found, dict) else None
    return found


def test_every_single_line_field_refuses_control_characters_and_line_separators(scene):
    refusals = Refusals()
    for endpoint, path, extra in SINGLE_LINE_FIELDS:
        target = by_name(endpoint)
        good = {**target.body(scene), **extra}
        name = f"{endpoint} {'.'.join(map(str, path))}"
        for label, bad in NOT_ONE_LINE.items():
            body = with_value(good, path, lambda value: f"{value[:2]}{bad}{value[2:]}")
            refusals.expect(f"{name} with {label}", lambda: send(scene, target, json=body), 422,
                            "validation_error", path[0])
        # The message sits at the field itself, however deeply nested.
        response = send(scene, target, json=with_value(good, path, lambda value: value + "\n"))
        if response.status_code == 422 and not message_at(response.get_json()["error"], path):
            refusals.misses.append(f"{name}: no message at the field: {response.get_json()}")
    refusals.assert_all_refused()


def test_an_organisation_name_with_a_line_break_is_refused_and_without_it_accepted(scene):
    """The name that broke every e-mail of the region (issue 11): now 422 naming the field, nothing stored."""
    coordinator = scene.as_["coordinator"]
    before = table_rows()
    for name in ("Thuiszorg\nNoord", "Thuiszorg\r\nBcc: iedereen@example.test", "Thuiszorg\u2028Noord"):
        error = assert_error(coordinator.post(f"{API}/organisations", json={"name": name, "kind": "referrer"}),
                             422, "validation_error", "name")
        assert error["fields"]["name"]
    assert table_rows() == before
    created = coordinator.post(f"{API}/organisations", json={"name": "Thuiszorg Noord", "kind": "referrer"})
    assert created.status_code == 201, created.get_data(as_text=True)


@pytest.mark.parametrize(("endpoint", "field"), MULTI_LINE_FIELDS, ids=[f"{e} {f}" for e, f in MULTI_LINE_FIELDS])
def test_a_multi_line_field_takes_line_breaks_and_tab_but_no_other_control_character(scene, endpoint, field):
    target = by_name(endpoint)
    good = target.body(scene)
    refusals = Refusals()
    for label, bad in {"escape": "\x1b", "DEL": "\x7f", "NEL": "\x85", "vertical tab": "\x0b",
                       "backspace": "\x08", "bell": "\x07"}.items():
        body = {**good, field: f"Eerste regel{bad}tweede"}
        refusals.expect(f"{endpoint} {field} with {label}", lambda: send(scene, target, json=body),
                        422, "validation_error", field)
    refusals.assert_all_refused()
    text = "Eerste regel\nTweede regel\r\n\tingesprongen"
    response = send(scene, target, json={**good, field: text})
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    if field == "notes":
        assert response.get_json()["notes"] == text


@pytest.mark.parametrize("value", ["Enschede\n", "Enschede\u2028", "Ensc\thede"])
def test_a_query_value_with_a_control_character_is_422_naming_it(scene, value):
    response = scene.as_["referrer"].get(f"{API}/availability", query_string={
        "arrival": str(days(10)), "departure": str(days(12)), "municipality": value})
    assert_error(response, 422, "validation_error", "municipality")


@pytest.mark.parametrize(("path", "value"), [
    (("settings", "daily_summary_time"), "07:00\n"),
    (("settings", "survey_questions", 0, "key"), "rust\n"),
])
def test_a_pattern_does_not_let_a_trailing_line_break_through(scene, path, value):
    """``$`` in a pattern matches before a final line feed; these fields must end where the value ends."""
    target = by_name("PATCH /regions/current")
    body = with_value({"settings": {"daily_summary_time": "07:00", "survey_questions": [dict(SURVEY_QUESTION)]}},
                      path, lambda _: value)
    refusals = Refusals()
    refusals.expect(f"{path} = {value!r}", lambda: send(scene, target, json=body), 422, "validation_error", "settings")
    refusals.assert_all_refused()


def test_a_caregiver_phone_with_a_trailing_line_break_is_refused(scene):
    target = by_name("POST /guests")
    body = with_value(target.body(scene), ("caregiver", "phone"), lambda _: "06 12345678\n")
    refusals = Refusals()
    refusals.expect("phone with a line feed", lambda: send(scene, target, json=body), 422, "validation_error",
                    "caregiver")
    refusals.assert_all_refused()


# Found by the OpenAPI fuzzer -----------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["coordinator", "referrer"])
def test_a_survey_question_without_a_key_is_422_not_500(scene, role):
    """KeyError in SettingsSchema._unique_keys: any role got a 500 (the body is read before the role is checked)."""
    question = {k: v for k, v in SURVEY_QUESTION.items() if k != "key"}
    body = {"settings": {"survey_questions": [question, dict(SURVEY_QUESTION)]}}
    refusals = Refusals()
    refusals.expect("question without key", lambda: scene.as_[role].patch(f"{API}/regions/current", json=body),
                    422, "validation_error", "settings")
    refusals.assert_all_refused()
    response = scene.as_[role].patch(f"{API}/regions/current", json=body)
    assert message_at(response.get_json()["error"], ("settings", "survey_questions", 0, "key"))


@pytest.mark.parametrize("zone", ["Europe", "America", "__init__.py", "Europe/", "Etc/..", ""])
def test_a_time_zone_that_is_no_zone_name_is_422_not_500(scene, zone):
    """ZoneInfo("Europe") opens a directory: IsADirectoryError got through the validator as a 500."""
    refusals = Refusals()
    refusals.expect(f"timezone {zone!r}", lambda: scene.as_["coordinator"].patch(
        f"{API}/regions/current", json={"settings": {"timezone": zone}}), 422, "validation_error", "settings")
    refusals.assert_all_refused()
    ok = scene.as_["coordinator"].patch(f"{API}/regions/current", json={"settings": {"timezone": "Europe/Brussels"}})
    assert ok.status_code == 200, ok.get_data(as_text=True)


@pytest.mark.parametrize("body", [
    {"settings": {"survey_questions": [SURVEY_QUESTION, SURVEY_QUESTION, 0]}},
    {"settings": {"survey_questions": [SURVEY_QUESTION, dict(SURVEY_QUESTION, key="x"), "tekst", dict(SURVEY_QUESTION)]}},
])
def test_errors_by_list_index_beside_a_list_error_are_422_not_500(scene, body):
    """marshmallow keyed the item errors by index (int) beside "_schema" (text); sorting those keys for JSON
    raised TypeError inside the error handler."""
    refusals = Refusals()
    refusals.expect("duplicate keys and a bad item", lambda: scene.as_["coordinator"].patch(
        f"{API}/regions/current", json=body), 422, "validation_error", "settings")
    refusals.assert_all_refused()
    error = scene.as_["coordinator"].patch(f"{API}/regions/current", json=body).get_json()["error"]
    questions = error["fields"]["settings"]["survey_questions"]
    assert "_schema" in questions and any(key.isdigit() for key in questions)
