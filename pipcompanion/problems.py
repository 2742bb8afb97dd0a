"""RFC 9457 problem details for the JSON API: every error has a type, a title and, for bad
input, a translated message per field. The API views raise them; the sign-in and error handlers
answer API calls with them too, so they live beside those, not inside the API."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

PROBLEM_TYPES = "https://pipcompanion.example/problems/"


class ApiProblem(Exception):
    """Raised by API views; rendered as application/problem+json."""

    def __init__(self, status: int, kind: str, title: str, detail: str | None = None,
                 errors: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(title)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.errors = errors or {}
        self.extra = extra


def problem_response(problem: ApiProblem) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPES + problem.kind,
        "title": problem.title,
        "status": problem.status,
        "instance": request.path,
    }
    if problem.detail:
        body["detail"] = problem.detail
    if problem.errors:
        body["errors"] = [{"field": name, "message": message} for name, message in problem.errors.items()]
    body.update(problem.extra)
    response = jsonify(body)
    response.status_code = problem.status
    response.mimetype = "application/problem+json"
    return response


def wants_problem() -> bool:
    """API requests get problem details instead of HTML error pages."""
    return request.path.startswith("/api/")
