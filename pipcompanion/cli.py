"""Command-line tasks: `flask --app app create-admin EMAIL`, `flask --app app load-demo`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .services import ServiceError


def init_app(app: Flask) -> None:
    app.cli.add_command(create_admin_command)
    app.cli.add_command(load_demo_command)


@click.command("create-admin")
@with_appcontext
@click.argument("email")
@click.option("--name", default="Service admin", show_default=True, help="Name shown in the app.")
@click.password_option(help="Asked for twice when not given.")
def create_admin_command(email: str, name: str, password: str) -> None:
    """Create an admin account with EMAIL."""
    from .services.accounts import create_admin

    try:
        create_admin(email=email, name=name, password=password)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Admin {email} created. Sign in at /login.")


@click.command("load-demo")
@with_appcontext
def load_demo_command() -> None:
    """Load the demo families and accounts (development only, first run only)."""
    from .demo import DEMO_PASSWORD, demo_sign_ins, load_demo_data

    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException("Demo data is never loaded in production.")
    loaded = load_demo_data()
    click.echo("Demo data loaded." if loaded else "Demo data was already there; left as it is.")
    click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for email, description in demo_sign_ins():
        click.echo(f"  {email:<24} {description}")
