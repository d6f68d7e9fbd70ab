"""The OpenAPI document and its Swagger UI: behind a login, served from our own static files, CSP-clean."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from .conftest import assert_error, token_client

pytestmark = pytest.mark.django_db


def test_the_schema_needs_a_login():
    assert_error(APIClient().get("/api/schema/", HTTP_ACCEPT="application/json"), 401, "not_authenticated")


def test_the_docs_page_sends_an_anonymous_visitor_to_the_login_page_and_back(client):
    response = client.get("/api/docs/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/api/docs/"


def test_the_schema_lists_every_api_route_with_its_error_answers(office_user):
    response = token_client(office_user).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in ["/api/auth/token/", "/api/tasks/", "/api/tasks/{id}/", "/api/tasks/{id}/feedback/", "/api/cockpit/"]:
        assert path in paths, sorted(paths)
    # Every operation documents 401 in the one error shape; the ten-day report also its 400/403/404/409.
    for path, operations in paths.items():
        for method, operation in operations.items():
            if path != "/api/auth/token/":
                assert "401" in operation["responses"], (method, path)
    feedback = paths["/api/tasks/{id}/feedback/"]["post"]["responses"]
    assert {"201", "400", "403", "404", "409"} <= set(feedback)
    assert feedback["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def test_the_docs_page_loads_swagger_from_our_static_files_without_inline_script(client, office_user):
    client.force_login(office_user)
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert sources and all(src.startswith("/static/") or src.startswith("/api/") for src in sources), sources
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html), "inline script under a no-inline CSP"
    assert "cdn" not in html.lower()
