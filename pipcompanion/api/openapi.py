"""The OpenAPI 3.1 document for /api/v1, kept beside the views it describes."""

from __future__ import annotations

from typing import Any

from ..limits import MOMENT_TEXT_MAX, PHOTO_DESCRIPTION_MAX, PHOTO_REQUEST_BYTES_MAX, PHOTOS_PER_MOMENT_MAX

PROBLEM = {"$ref": "#/components/responses/Problem"}


def _problem_responses(*codes: int) -> dict[str, Any]:
    return {str(code): PROBLEM for code in codes}


def openapi_document() -> dict[str, Any]:
    """The API's description; schemathesis checks the app against it in the test suite."""
    id_list = {"type": "array", "items": {"type": "integer"}, "maxItems": 50}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PIP Companion API",
            "version": "1",
            "description": (
                "Moments for the signed-in person. Sign in through the web page; the session cookie "
                "authenticates calls. Unsafe calls also carry a CSRF token (GET /api/v1/csrf) in the "
                "X-CSRFToken header. Errors are RFC 9457 problem details. Where the service forces HTTPS, a "
                "call over plain HTTP is refused (403, https-required), never redirected."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"session": []}],
        "paths": {
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "The OpenAPI document",
                                          "content": {"application/json": {"schema": {"type": "object"}}}}},
                }
            },
            "/api/v1/csrf": {
                "get": {
                    "operationId": "csrf",
                    "summary": "A fresh CSRF token for this session",
                    "responses": {
                        "200": {"description": "The token",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Csrf"}}}},
                        **_problem_responses(401),
                    },
                }
            },
            "/api/v1/me": {
                "get": {
                    "operationId": "me",
                    "summary": "The signed-in person, their families and the kinds of moment",
                    "responses": {
                        "200": {"description": "Who is signed in",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Me"}}}},
                        **_problem_responses(401),
                    },
                }
            },
            "/api/v1/moments": {
                "get": {
                    "operationId": "listMoments",
                    "summary": "Moments of one family the person may see, newest first",
                    "parameters": [
                        {"name": "family", "in": "query", "required": True, "schema": {"type": "integer"}},
                        {"name": "before", "in": "query", "required": False, "schema": {"type": "string"},
                         "description": "The next_cursor of the previous page"},
                        {"name": "limit", "in": "query", "required": False,
                         "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 20}},
                    ],
                    "responses": {
                        "200": {"description": "A page of moments",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MomentPage"}}}},
                        **_problem_responses(400, 401, 404),
                    },
                },
                "post": {
                    "operationId": "createMoment",
                    "summary": "Save a moment, with up to 3 photos; the same client_id again returns the saved one",
                    "description": (
                        "Send the moment as JSON, or as multipart/form-data with the same JSON in a part named "
                        f"`moment` and up to {PHOTOS_PER_MOMENT_MAX} files named `photos` (JPEG, PNG, WebP or "
                        f"HEIC; {PHOTO_REQUEST_BYTES_MAX // (1024 * 1024)} MB a request in all). Every photo is "
                        "decoded and re-encoded without its metadata (location, camera, time) before anything is "
                        "saved; a file that is not a whole still photo, or too many pixels, is a 400 problem "
                        "naming the photo (field `photos`) and nothing is saved. A request over the size limit is "
                        "a 413 problem. The client_id covers the photos: a replay returns the saved moment and "
                        "stores no photo again."
                    ),
                    "parameters": [{"name": "X-CSRFToken", "in": "header", "required": True,
                                    "schema": {"type": "string"}}],
                    "requestBody": {"required": True, "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/NewMoment"}},
                        "multipart/form-data": {
                            "schema": {
                                "type": "object", "required": ["moment"],
                                "properties": {
                                    "moment": {"type": "string", "contentMediaType": "application/json",
                                               "description": "The NewMoment object, as JSON text"},
                                    "photos": {"type": "array", "maxItems": PHOTOS_PER_MOMENT_MAX,
                                               "items": {"type": "string", "contentMediaType": "image/*"}},
                                },
                            },
                            "encoding": {"moment": {"contentType": "application/json"},
                                         "photos": {"contentType": "image/jpeg, image/png, image/webp, image/heic"}},
                        },
                    }},
                    "responses": {
                        "201": {"description": "Saved", "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Moment"}}}},
                        "200": {"description": "Saved before with this client_id (a replay)", "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Moment"}}}},
                        **_problem_responses(400, 401, 403, 404, 409, 413, 415),
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "session"}},
            "responses": {
                "Problem": {"description": "RFC 9457 problem details", "content": {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "instance": {"type": "string"},
                        "existing": {"type": "string", "description": "The saved moment, for a 409"},
                        "errors": {"type": "array", "items": {
                            "type": "object", "required": ["field", "message"],
                            "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
                    },
                },
                "Csrf": {"type": "object", "required": ["csrf_token", "user_id"],
                         "properties": {"csrf_token": {"type": "string"},
                                        "user_id": {"type": "integer",
                                                    "description": "Whose session this is"}}},
                "NewMoment": {
                    "type": "object",
                    "required": ["client_id", "family_id"],
                    "properties": {
                        "client_id": {"type": "string", "format": "uuid",
                                      "description": "Made on the phone; makes saving idempotent"},
                        "family_id": {"type": "integer"},
                        "text": {"type": "string", "maxLength": MOMENT_TEXT_MAX},
                        "lang": {"type": "string", "maxLength": 35,
                                 "description": "The language the words are written in (BCP 47, such as pl); "
                                                "default: the language the person uses the app in"},
                        "kind_ids": id_list,
                        "occurred_at": {"type": ["string", "null"], "format": "date-time",
                                        "description": "When it happened (default now); never in the future"},
                        "carer_ids": id_list,
                        "baby_ids": id_list,
                        "feeling": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
                        "visibility": {"type": "string", "enum": ["private", "therapist", "family"],
                                       "default": "therapist"},
                        "photo_descriptions": {
                            "type": "array", "maxItems": PHOTOS_PER_MOMENT_MAX,
                            "items": {"type": "string", "maxLength": PHOTO_DESCRIPTION_MAX},
                            "description": "With multipart photos: what each shows, in order, for people who cannot see it"},
                    },
                },
                "Moment": {
                    "type": "object",
                    "required": ["id", "family_id", "author", "occurred_at", "text", "kinds", "carer_ids",
                                 "baby_ids", "feeling", "visibility", "pinned", "url", "photos"],
                    "properties": {
                        "id": {"type": "integer"},
                        "family_id": {"type": "integer"},
                        "author": {"$ref": "#/components/schemas/Person"},
                        "occurred_at": {"type": "string", "format": "date-time"},
                        "text": {"type": "string"},
                        "lang": {"type": ["string", "null"],
                                 "description": "The language the words were written in, when known"},
                        "kinds": {"type": "array", "items": {"type": "object", "required": ["id", "name"],
                                  "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}},
                        "carer_ids": {"type": "array", "items": {"type": "integer"}},
                        "baby_ids": {"type": "array", "items": {"type": "integer"}},
                        "feeling": {"type": ["integer", "null"]},
                        "visibility": {"type": "string", "enum": ["private", "therapist", "family"]},
                        "pinned": {"type": "boolean"},
                        "url": {"type": "string"},
                        "photos": {"type": "array", "maxItems": PHOTOS_PER_MOMENT_MAX, "items": {
                            "type": "object", "required": ["url", "thumbnail_url", "description"],
                            "properties": {
                                "url": {"type": "string", "description": "The photo (longest side 1,600 px), "
                                        "served only to those who may see the moment; never cached"},
                                "thumbnail_url": {"type": "string"},
                                "description": {"type": "string", "description": "The parent's words about it, "
                                                "or empty (the moment's words then describe it)"}}}},
                        "reflections": {"type": "array", "items": {
                            "type": "object", "required": ["author", "text", "created_at"],
                            "properties": {"author": {"$ref": "#/components/schemas/Person"},
                                           "text": {"type": "string"},
                                           "created_at": {"type": "string", "format": "date-time"}}}},
                    },
                },
                "MomentPage": {
                    "type": "object", "required": ["moments", "next_cursor"],
                    "properties": {"moments": {"type": "array", "items": {"$ref": "#/components/schemas/Moment"}},
                                   "next_cursor": {"type": ["string", "null"]}},
                },
                "Person": {"type": "object", "required": ["id", "name"],
                           "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
                "Me": {
                    "type": "object",
                    "required": ["user", "families", "kinds", "visibilities", "feelings"],
                    "properties": {
                        "user": {"type": "object", "required": ["id", "name", "email", "role"], "properties": {
                            "id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"},
                            "role": {"type": "string", "enum": ["admin", "therapist", "carer", "viewer"]},
                            "locale": {"type": ["string", "null"]}}},
                        "families": {"type": "array", "items": {
                            "type": "object",
                            "required": ["id", "display_name", "carers", "babies", "can_log_moments"],
                            "properties": {
                                "id": {"type": "integer"}, "display_name": {"type": "string"},
                                "relation": {"type": ["string", "null"]},
                                "can_log_moments": {"type": "boolean"},
                                "add_moment_url": {"type": ["string", "null"],
                                                   "description": "The Add a moment page, for those who may add one"},
                                "visibility_choices": {"type": "array", "description":
                                    "Who can see a moment this person adds, naming the people (empty for others)",
                                    "items": {"type": "object", "properties": {
                                        "value": {"type": "string", "enum": ["private", "therapist", "family"]},
                                        "label": {"type": "string"}}}},
                                "carers": {"type": "array", "items": {"type": "object", "properties": {
                                    "id": {"type": "integer"}, "name": {"type": "string"},
                                    "relation": {"type": "string"}}}},
                                "babies": {"type": "array", "items": {"type": "object", "properties": {
                                    "id": {"type": "integer"}, "name": {"type": "string"},
                                    "date_of_birth": {"type": ["string", "null"], "format": "date"}}}},
                            }}},
                        "kinds": {"type": "array", "items": {"type": "object", "properties": {
                            "id": {"type": "integer"}, "name": {"type": "string"}, "hidden": {"type": "boolean"}}}},
                        "visibilities": {"type": "array", "items": {"type": "object", "properties": {
                            "value": {"type": "string"}, "label": {"type": "string"}}}},
                        "feelings": {"type": "array", "items": {"type": "object", "properties": {
                            "value": {"type": "integer"}, "word": {"type": "string"}}}},
                    },
                },
            },
        },
    }
