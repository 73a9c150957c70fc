"""Flask commands: create-coordinator, seed-demo (and `db upgrade` from Flask-Migrate)."""
from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Flask

from .extensions import db


def init_app(app: Flask) -> None:
    app.cli.add_command(create_coordinator)
    app.cli.add_command(seed_demo)


@click.command("create-coordinator")
@click.argument("email")
@click.option("--region", "region_name", required=True, help="Name of the region, created if missing.")
@click.option("--municipality", "municipalities", multiple=True, help="A municipality of the region (repeat).")
@click.option("--name", default="Regiocoördinator", show_default=True)
def create_coordinator(email: str, region_name: str, municipalities: tuple[str, ...], name: str) -> None:
    """Create the region (if missing), its coordinator organisation and a coordinator user.

    The password is read from standard input.
    """
    from .accounts.passwords import password_problem
    from .accounts import get_or_create_region, normalise_email
    from .models import Organisation, User

    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise click.BadParameter("not an e-mail address", param_hint="EMAIL")
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    problem = password_problem(password, user_inputs=[email, name, region_name])
    if problem:
        raise click.ClickException(f"The password is refused: {problem}")
    if db.session.scalar(sa.select(User).where(User.email == email)):
        raise click.ClickException(f"A user with e-mail {email} already exists.")
    region = get_or_create_region(region_name.strip(), [m.strip() for m in municipalities if m.strip()])
    org_name = f"Regiobureau {region.name}"
    org = db.session.scalar(
        sa.select(Organisation).where(Organisation.region_id == region.id, Organisation.kind == "coordinator")
    )
    if org is None:
        org = Organisation(region=region, name=org_name, kind="coordinator")
        db.session.add(org)
    user = User(email=email, name=name, organisation=org)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Coordinator {email} created in region {region.name} ({len(region.municipalities)} municipalities).")


@click.command("seed-demo")
def seed_demo() -> None:
    """Load the demonstration data set (Twente) and print the demo log-ins."""
    from .demo import seed_demo as load

    region, logins, created = load()
    db.session.commit()
    click.echo(("Demo data loaded" if created else "Demo data already present") + f" for region {region.name}.")
    click.echo("Demo log-ins (e-mail / role / password):")
    for email, role, password in logins:
        click.echo(f"  {email:34} {role:12} {password}")
