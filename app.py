"""Entry point for `flask --app app` and `gunicorn app:app`."""

from pipcompanion import create_app

app = create_app()
