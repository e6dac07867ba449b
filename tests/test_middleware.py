"""A NUL character anywhere in a request's text is a 400, before any view sees it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db


def test_nul_in_the_query_string_is_a_bad_request(client):
    response = client.get("/search/", {"q": "注意\x00力"})
    assert response.status_code == 400
    assert "This request could not be understood" in response.content.decode()

    assert client.get("/search/", {"q": "注意力"}).status_code == 200


def test_nul_in_the_path_is_a_bad_request(client):
    assert client.get("/q/abc\x00/").status_code == 400


def test_the_bad_request_page_carries_the_security_headers(client):
    response = client.get("/search/", {"q": "\x00"})
    assert response.status_code == 400
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_nul_in_a_form_field_is_a_bad_request(alice_client):
    response = alice_client.post("/quiz/start/", {"mode": "due\x00"})
    assert response.status_code == 400
    response = alice_client.post("/quiz/start/", {"mo\x00de": "due"})
    assert response.status_code == 400


def test_uploaded_files_may_contain_nul_bytes(alice_client):
    upload = SimpleUploadedFile("set.csv", b"key\x00,\n")
    response = alice_client.post("/quiz/start/", {"mode": "due", "file": upload})
    assert response.status_code != 400
