"""Command-line tasks: `flask --app app create-admin EMAIL`, `reset-two-factor EMAIL`, `load-demo`, `demo-code`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .services import ServiceError


def init_app(app: Flask) -> None:
    app.cli.add_command(create_admin_command)
    app.cli.add_command(reset_two_factor_command)
    app.cli.add_command(load_demo_command)
    app.cli.add_command(demo_code_command)


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


@click.command("reset-two-factor")
@with_appcontext
@click.argument("email")
def reset_two_factor_command(email: str) -> None:
    """Forget the second factor of the person with EMAIL (a lost phone and lost recovery codes).

    They are signed out everywhere; staff set two-step sign-in up again at their next sign-in. For
    anyone, the only admin too (admins reset therapists in the app). On the audit record.
    """
    from .services.accounts import user_by_email
    from .services.two_factor import reset_two_factor

    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"There is no account with the email {email}.")
    reset_two_factor(None, user)
    click.echo(f"Two-step sign-in for {user.email} is reset; they are signed out everywhere.")


@click.command("load-demo")
@with_appcontext
def load_demo_command() -> None:
    """Load the demo families and accounts (development only, first run only)."""
    from .demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_sign_ins, load_demo_data

    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException("Demo data is never loaded in production.")
    loaded = load_demo_data()
    click.echo("Demo data loaded." if loaded else "Demo data was already there; left as it is.")
    click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for email, description in demo_sign_ins():
        click.echo(f"  {email:<24} {description}")
    click.echo("Two-step sign-in: the admin and the therapist then type the code an authenticator app shows")
    click.echo(f"for the key {DEMO_TOTP_SECRET}, or the code from `make demo-code`.")


@click.command("demo-code")
@with_appcontext
def demo_code_command() -> None:
    """Print the demo therapist's and admin's code for two-step sign-in now (development only)."""
    from .demo import DEMO_TOTP_SECRET
    from .models import utcnow
    from .services.two_factor import STEP_SECONDS, code_at

    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException("There are no demo accounts in production.")
    click.echo(f"{code_at(DEMO_TOTP_SECRET, utcnow())} (a new code every {STEP_SECONDS} seconds; each works once)")
