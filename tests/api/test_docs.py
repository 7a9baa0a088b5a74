"""The API's docs are served from our own static files: the page loads nothing from another site."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_the_docs_page_loads_only_local_files(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls and all(url.startswith("/static/") for url in urls), urls
    for url in urls:
        assert finders.find(url.removeprefix("/static/")), url  # each one is there to serve
    assert '"validatorUrl": null' in page  # Swagger UI's validator badge would call a third-party site
    assert '"url": "/api/v1/openapi.json"' in page
    # Our content security policy applies (scripts from our own origin only).
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_description_is_public_json(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    description = response.json()
    assert description["info"]["title"] == "Twoway API"
    assert description["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
