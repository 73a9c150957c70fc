"""Organisations and users: created by the coordinator, always inside the own region."""
from __future__ import annotations

from logeer.models import Organisation, User
from tests.factories import PASSWORD, ApiClient
from tests.support import API, audit_entries, count, error_code, other_region  # noqa: F401


# Organisations ---------------------------------------------------------------------------------
def test_coordinator_creates_an_organisation_in_the_own_region(client, factory):
    w = factory.world()
    response = ApiClient(client, w.coordinator).post(f"{API}/organisations", json={"name": "Huize Nieuw", "kind": "provider"})
    assert response.status_code == 201
    body = response.json
    assert body == {"id": body["id"], "name": "Huize Nieuw", "kind": "provider", "region_id": w.region.id}
    assert count(Organisation, Organisation.name == "Huize Nieuw", Organisation.region_id == w.region.id) == 1
    entry, = audit_entries("organisation_created")
    assert (entry.user_id, entry.entity_id) == (w.coordinator.id, body["id"])


def test_every_organisation_kind_can_be_created(client, factory):
    w = factory.world()
    coordinator = ApiClient(client, w.coordinator)
    for kind in ("provider", "referrer", "evaluator", "coordinator"):
        response = coordinator.post(f"{API}/organisations", json={"name": f"Org {kind}", "kind": kind})
        assert (response.status_code, response.json["kind"]) == (201, kind)


def test_an_unknown_organisation_kind_is_refused_with_422(client, factory):
    w = factory.world()
    before = count(Organisation)
    response = ApiClient(client, w.coordinator).post(f"{API}/organisations", json={"name": "X", "kind": "hospital"})
    assert response.status_code == 422 and "kind" in response.json["error"]["fields"]
    assert count(Organisation) == before


def test_a_second_organisation_with_the_same_name_in_the_region_is_refused_with_409(client, factory):
    w = factory.world()
    before = count(Organisation)
    response = ApiClient(client, w.coordinator).post(f"{API}/organisations", json={"name": "Zorg A", "kind": "provider"})
    assert (response.status_code, error_code(response)) == (409, "name_taken")
    assert count(Organisation) == before
    assert audit_entries("organisation_created") == []


def test_organisation_list_shows_only_the_own_region_and_filters_by_kind(client, factory):
    w = factory.world()
    other = other_region(factory)
    listing = ApiClient(client, w.referrer).get(f"{API}/organisations")
    assert listing.status_code == 200
    names = {o["name"] for o in listing.json["items"]}
    assert names == {"Regiobureau", "Zorg A", "Zorg B", "Wijkzorg", "Gemeente Wmo", "Evaluatie"}
    assert other.provider_org.name not in names
    assert (listing.json["total"], listing.json["page"], listing.json["per_page"]) == (6, 1, 50)
    providers = ApiClient(client, w.referrer).get(f"{API}/organisations?kind=provider")
    assert {o["name"] for o in providers.json["items"]} == {"Zorg A", "Zorg B"}
    assert providers.json["total"] == 2


def test_organisation_list_pages(client, factory):
    w = factory.world()
    first = ApiClient(client, w.referrer).get(f"{API}/organisations?per_page=4&page=1").json
    second = ApiClient(client, w.referrer).get(f"{API}/organisations?per_page=4&page=2").json
    assert (len(first["items"]), len(second["items"]), first["total"], second["page"]) == (4, 2, 6, 2)
    assert not {o["id"] for o in first["items"]} & {o["id"] for o in second["items"]}


# Users -------------------------------------------------------------------------------------------
def new_user_body(org_id, email="nieuw@example.test", **extra):
    return {"email": email, "name": "Nieuwe Collega", "password": "een-lang-wachtwoord", "organisation_id": org_id, **extra}


def test_coordinator_creates_a_user_who_can_then_log_in(client, factory):
    w = factory.world()
    response = ApiClient(client, w.coordinator).post(f"{API}/users", json=new_user_body(w.provider_org.id))
    assert response.status_code == 201
    body = response.json
    assert {k: body[k] for k in ("email", "name", "role", "organisation_id")} == {
        "email": "nieuw@example.test", "name": "Nieuwe Collega", "role": "provider", "organisation_id": w.provider_org.id,
    }
    assert isinstance(body["id"], int)
    token = client.post(f"{API}/auth/token", json={"email": "nieuw@example.test", "password": "een-lang-wachtwoord"})
    assert token.status_code == 200
    entry, = audit_entries("user_created")
    assert (entry.user_id, entry.entity_id) == (w.coordinator.id, body["id"])


def test_a_taken_email_is_refused_with_409_email_taken_and_nothing_is_created(client, factory):
    w = factory.world()
    before = count(User)
    response = ApiClient(client, w.coordinator).post(
        f"{API}/users", json=new_user_body(w.provider_org.id, email=w.referrer.email.upper())
    )
    assert (response.status_code, error_code(response)) == (409, "email_taken")
    assert count(User) == before
    assert audit_entries("user_created") == []


def test_an_email_taken_in_another_region_is_taken_too(client, factory):
    w = factory.world()
    other = other_region(factory)
    response = ApiClient(client, w.coordinator).post(f"{API}/users", json=new_user_body(w.provider_org.id, email=other.referrer.email))
    assert (response.status_code, error_code(response)) == (409, "email_taken")


def test_a_user_cannot_be_created_in_an_organisation_of_another_region(client, factory):
    w = factory.world()
    other = other_region(factory)
    before = count(User)
    response = ApiClient(client, w.coordinator).post(f"{API}/users", json=new_user_body(other.provider_org.id))
    assert response.status_code == 404
    assert count(User) == before


def test_a_password_shorter_than_ten_characters_is_refused(client, factory):
    w = factory.world()
    before = count(User)
    response = ApiClient(client, w.coordinator).post(f"{API}/users", json=new_user_body(w.provider_org.id, password="kort"))
    assert response.status_code == 422 and "password" in response.json["error"]["fields"]
    assert count(User) == before


def test_user_list_shows_the_users_of_the_own_region_only(client, factory):
    w = factory.world()
    other = other_region(factory)
    response = ApiClient(client, w.coordinator).get(f"{API}/users")
    assert response.status_code == 200
    ids = {u["id"] for u in response.json["items"]}
    assert ids == {u.id for u in (w.coordinator, w.provider, w.other_provider, w.referrer, w.other_referrer, w.evaluator)}
    assert other.referrer.id not in ids
    assert response.json["total"] == 6


def test_coordinator_renames_a_user(client, factory):
    w = factory.world()
    response = ApiClient(client, w.coordinator).patch(f"{API}/users/{w.provider.id}", json={"name": "  Petra Planner "})
    assert response.status_code == 200 and response.json["name"] == "Petra Planner"
    assert count(User, User.id == w.provider.id, User.name == "Petra Planner") == 1
    entry, = audit_entries("user_updated")
    assert (entry.user_id, entry.entity_id, entry.details) == (w.coordinator.id, w.provider.id, {"name": "  Petra Planner "})


def test_coordinator_deactivates_and_reactivates_a_user(client, factory):
    w = factory.world()
    coordinator = ApiClient(client, w.coordinator)
    off = coordinator.patch(f"{API}/users/{w.provider.id}", json={"active": False})
    assert off.status_code == 200 and off.json["active"] is False
    assert count(User, User.id == w.provider.id, User.active.is_(False)) == 1
    on = coordinator.patch(f"{API}/users/{w.provider.id}", json={"active": True})
    assert on.status_code == 200 and on.json["active"] is True


def test_the_coordinator_cannot_deactivate_the_own_account(client, factory):
    w = factory.world()
    response = ApiClient(client, w.coordinator).patch(f"{API}/users/{w.coordinator.id}", json={"active": False})
    assert (response.status_code, error_code(response)) == (409, "cannot_deactivate_self")
    assert count(User, User.id == w.coordinator.id, User.active.is_(True)) == 1


def test_users_of_another_region_or_unknown_ids_are_not_found(client, factory):
    w = factory.world()
    other = other_region(factory)
    coordinator = ApiClient(client, w.coordinator)
    assert coordinator.patch(f"{API}/users/{other.referrer.id}", json={"active": False}).status_code == 404
    assert coordinator.patch(f"{API}/users/999999", json={"name": "X"}).status_code == 404
    assert count(User, User.id == other.referrer.id, User.active.is_(True)) == 1
    assert client.post(f"{API}/auth/token", json={"email": other.referrer.email, "password": PASSWORD}).status_code == 200
