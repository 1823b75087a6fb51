"""The generic OAuth2 client-credentials auth: the grant's form, both ways of sending the
app's credentials, the token cached until expiry, one new token on a 401."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import pytest
import requests
import responses

from synchub.config.connector import OAuth2ClientCredentialsAuthSpec
from synchub.errors import FatalAPIError, redact
from synchub.runtime.auth import OAuth2ClientCredentialsAuth, build_auth
from synchub.runtime.connection import ConnectionInfo

from .helpers import FakeClock

CONN = ConnectionInfo(conn_id="c", host="https://api.example.com", login="app-id-1",
                      password="app-secret-1")
TOKEN_URL = "https://api.example.com/oauth/token"
API = "https://api.example.com/items"


def _auth(client_auth: str = "body", clock: FakeClock | None = None
          ) -> OAuth2ClientCredentialsAuth:
    spec = OAuth2ClientCredentialsAuthSpec(type="oauth2_client_credentials",
                                           token_url="{host}/oauth/token",
                                           client_auth=client_auth)  # type: ignore[arg-type]
    auth = build_auth(spec, CONN, requests.Session(), 5)
    assert isinstance(auth, OAuth2ClientCredentialsAuth)
    if clock is not None:
        auth.clock = clock
    return auth


@responses.activate
def test_credentials_in_the_form_body() -> None:
    responses.post(TOKEN_URL, json={"access_token": "tok-1", "token_type": "bearer",
                                    "expires_in": 3599})
    auth = _auth("body")
    assert auth.token_url == TOKEN_URL
    assert auth.token() == "tok-1"
    sent = responses.calls[0].request
    assert parse_qs(sent.body) == {"grant_type": ["client_credentials"],
                                   "client_id": ["app-id-1"],
                                   "client_secret": ["app-secret-1"]}
    assert "Authorization" not in sent.headers
    assert "tok-1" not in redact("token tok-1")


@responses.activate
def test_credentials_as_http_basic() -> None:
    # the answer's lifetime written as text, as some vendors do
    responses.post(TOKEN_URL, json={"access_token": "tok-2", "expires_in": "14399"})
    clock = FakeClock()
    auth = _auth("basic", clock)
    assert auth.token() == "tok-2"
    sent = responses.calls[0].request
    assert parse_qs(sent.body) == {"grant_type": ["client_credentials"]}
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(
        b"app-id-1:app-secret-1").decode()
    assert auth.expires_at == pytest.approx(clock.now + 14399 - 60)


@responses.activate
def test_token_cached_until_expiry_then_fetched_again() -> None:
    responses.post(TOKEN_URL, json={"access_token": "tok-a", "expires_in": 600})
    responses.post(TOKEN_URL, json={"access_token": "tok-b", "expires_in": 600})
    clock = FakeClock()
    auth = _auth(clock=clock)
    assert auth.token() == "tok-a"
    clock.now += 500
    assert auth.token() == "tok-a"           # 540 s usable with the 60 s margin
    clock.now += 41
    assert auth.token() == "tok-b"
    assert auth.refreshes == 2


@responses.activate
def test_one_new_token_on_401() -> None:
    responses.post(TOKEN_URL, json={"access_token": "old", "expires_in": 3600})
    responses.post(TOKEN_URL, json={"access_token": "new", "expires_in": 3600})
    responses.get(API, status=401, json={"error": "expired"})
    responses.get(API, json={"items": []})
    session = requests.Session()
    spec = OAuth2ClientCredentialsAuthSpec(type="oauth2_client_credentials",
                                           token_url=TOKEN_URL)
    session.auth = build_auth(spec, CONN, session, 5)
    resp = session.get(API)
    assert resp.status_code == 200
    assert [c.request.headers.get("Authorization") for c in responses.calls
            if c.request.url == API] == ["Bearer old", "Bearer new"]


@responses.activate
def test_answer_without_token_names_the_endpoint() -> None:
    responses.post(TOKEN_URL, json={"token_type": "bearer"})
    with pytest.raises(FatalAPIError, match="oauth/token answered without access_token"):
        _auth().token()
