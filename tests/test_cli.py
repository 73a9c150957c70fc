"""The command line: create-coordinator and seed-demo."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from logeer.extensions import db
from logeer.models import Bed, Booking, Guest, Location, Municipality, Organisation, Region, User
from tests.support import API, count  # noqa: F401

PASSWORD = "een-heel-lang-wachtwoord"
TWENTE = {"Almelo", "Borne", "Dinkelland", "Enschede", "Haaksbergen", "Hellendoorn", "Hengelo", "Hof van Twente",
          "Losser", "Oldenzaal", "Rijssen-Holten", "Tubbergen", "Twenterand", "Wierden"}


def create_coordinator(runner, *args, password=PASSWORD):
    return runner.invoke(args=["create-coordinator", *args], input=password + "\n")


def nothing_created() -> bool:
    return count(Region) == count(Organisation) == count(User) == count(Municipality) == 0


def can_log_in(client, email, password) -> bool:
    return client.post(f"{API}/auth/token", json={"email": email, "password": password}).status_code == 200


# create-coordinator ----------------------------------------------------------------------------------
def test_create_coordinator_makes_the_region_its_office_and_a_coordinator_who_can_log_in(runner, client):
    result = create_coordinator(runner, "Boss@Example.TEST", "--region", "Twente", "--municipality", "Almelo",
                                "--municipality", "Borne")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    db.session.expire_all()
    region = db.session.scalar(sa.select(Region).where(Region.name == "Twente"))
    assert sorted(region.municipality_names) == ["Almelo", "Borne"]
    user = db.session.scalar(sa.select(User).where(User.email == "boss@example.test"))
    assert (user.role, user.region_id, user.active) == ("coordinator", region.id, True)
    assert can_log_in(client, "boss@example.test", PASSWORD)


def test_a_second_coordinator_joins_the_existing_region_and_office(runner):
    assert create_coordinator(runner, "one@example.test", "--region", "Twente", "--municipality", "Almelo").exit_code == 0
    result = create_coordinator(runner, "two@example.test", "--region", "Twente", "--municipality", "Almelo",
                                "--municipality", "Losser")
    assert result.exit_code == 0, result.output
    assert (count(Region), count(Organisation)) == (1, 1)
    db.session.expire_all()
    region = db.session.scalar(sa.select(Region))
    assert sorted(region.municipality_names) == ["Almelo", "Losser"]
    assert count(User, User.organisation_id == db.session.scalar(sa.select(Organisation.id))) == 2


@pytest.mark.parametrize("email", ["not-an-email", "", "a" * 250 + "@x.nl"])
def test_create_coordinator_refuses_a_bad_email_and_creates_nothing(runner, email):
    result = create_coordinator(runner, email, "--region", "Twente", "--municipality", "Almelo")
    assert result.exit_code != 0
    assert nothing_created()


@pytest.mark.parametrize("password", ["", "short", "12345678901"])
def test_create_coordinator_refuses_a_short_password_and_creates_nothing(runner, password):
    result = create_coordinator(runner, "boss@example.test", "--region", "Twente", "--municipality", "Almelo",
                                password=password)
    assert result.exit_code != 0
    assert "12 tekens" in result.output
    assert nothing_created()


@pytest.mark.parametrize("password", ["123456789012", "wachtwoord1234", "boss@example.test", "Twente123456", "qwertyuiop12"])
def test_create_coordinator_refuses_a_guessable_password_and_creates_nothing(runner, password):
    result = create_coordinator(runner, "boss@example.test", "--region", "Twente", "--municipality", "Almelo",
                                password=password)
    assert result.exit_code != 0
    assert "te makkelijk te raden" in result.output
    assert nothing_created()


def test_create_coordinator_refuses_a_taken_email_and_creates_nothing_more(runner):
    assert create_coordinator(runner, "boss@example.test", "--region", "Twente").exit_code == 0
    result = create_coordinator(runner, "BOSS@example.test", "--region", "Utrecht", "--municipality", "Zeist")
    assert result.exit_code != 0
    assert (count(Region), count(User), count(Municipality)) == (1, 1, 0)


def test_create_coordinator_needs_a_region(runner):
    result = create_coordinator(runner, "boss@example.test")
    assert result.exit_code != 0
    assert nothing_created()


# seed-demo -----------------------------------------------------------------------------------------------
def demo_logins(output: str) -> list[tuple[str, str, str]]:
    return re.findall(r"^\s+(\S+@\S+)\s+(\w+)\s+(\S+)\s*$", output, flags=re.MULTILINE)


def test_seed_demo_loads_twente_with_its_14_municipalities_and_7_beds(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    region = db.session.scalar(sa.select(Region).where(Region.name == "Twente"))
    assert set(region.municipality_names) == TWENTE and len(region.municipality_names) == 14
    beds = db.session.scalars(sa.select(Bed)).all()
    assert len(beds) == 7 and all(b.active and b.region_id == region.id for b in beds)
    assert count(Organisation, Organisation.kind == "provider") >= 2
    assert {m.name for m in db.session.scalars(sa.select(Municipality).join(Location))} <= TWENTE


def test_seed_demo_prints_log_ins_for_every_role_that_work(runner, client):
    result = runner.invoke(args=["seed-demo"])
    logins = demo_logins(result.output)
    assert {role for _, role, _ in logins} == {"coordinator", "referrer", "provider", "evaluator"}
    for email, role, password in logins:
        response = client.post(f"{API}/auth/token", json={"email": email, "password": password})
        assert response.status_code == 200, email
        me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {response.json['token']}"})
        assert me.json["role"] == role


def test_seed_demo_twice_changes_nothing_the_second_time(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0
    counts = {m.__name__: count(m) for m in (Region, Municipality, Organisation, User, Location, Bed, Guest, Booking)}
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert {m.__name__: count(m) for m in (Region, Municipality, Organisation, User, Location, Bed, Guest, Booking)} == counts
    assert demo_logins(second.output) == demo_logins(first.output)
