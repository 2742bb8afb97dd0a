"""Command-line tasks: `flask --app app create-admin EMAIL`, `reset-two-factor EMAIL`, `purge-expired`,
`load-demo`, `demo-code`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .services import ServiceError


def init_app(app: Flask) -> None:
    app.cli.add_command(create_admin_command)
    app.cli.add_command(reset_two_factor_command)
    app.cli.add_command(purge_expired_command)
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


@click.command("purge-expired")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="List the closed cases that are due, and delete nothing.")
def purge_expired_command(dry_run: bool) -> None:
    """Delete closed cases kept longer than the service's retention period, with everything of theirs.

    For a daily cron job or systemd timer. Each purge goes on the audit record (counts, never
    content); the audit log's own rows stay. People's accounts are not deleted.
    """
    from .services.retention import expired_families, purge_expired
    from .services.settings import service_settings

    years = service_settings().retention_years
    due = expired_families() if dry_run else purge_expired()
    verb = "Would purge" if dry_run else "Purged"
    for family in due:
        counts = ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in vars(family.counts).items())
        click.echo(f"{verb} family {family.id} ({family.display_name}), closed on {family.closed_on.isoformat()}: "
                   f"{counts}.")
    if not due:
        click.echo(f"No closed case has been kept longer than {years} years: nothing to purge.")
    elif dry_run:
        click.echo(f"{len(due)} closed case(s) kept longer than {years} years; nothing was deleted (--dry-run).")
    else:
        click.echo(f"{len(due)} closed case(s) kept longer than {years} years deleted, and on the audit record.")


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
