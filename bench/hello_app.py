"""The yardstick: a minimal Flask app, served by gunicorn exactly like the real one.

Every page's throughput is reported as a ratio of this app's, measured in the same run, because
on a 2-core machine wrk competes with the workers and absolute figures do not travel.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """Hello, world: no database, no template, no session."""
    return "Hello, world!"
