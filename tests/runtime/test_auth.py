"""Auth classes: what they put on a request; OAuth2 refresh caching and one refresh on 401."""

from __future__ import annotations

import base64
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from synchub.config.connector import (
    BasicAuthSpec,
    BearerAuthSpec,
    HeaderTokenAuthSpec,
    OAuth2RefreshTokenAuthSpec,
    QueryParamsAuthSpec,
)
from synchub.errors import ConfigError, FatalAPIError, redact
from synchub.registry import REGISTRY
from synchub.runtime.auth import OAuth2RefreshTokenAuth, build_auth
from synchub.runtime.connection import ConnectionInfo

from .helpers import FakeClock

CONN = ConnectionInfo(conn_id="c", login="ck_login", password="cs_password_1",
                      extra={"refresh_token": "rt_refresh_1", "api_token": "tok_extra_1"})
BASIC = "Basic " + base64.b64encode(b"ck_login:cs_password_1").decode()


def prepared(auth: requests.auth.AuthBase, url: str = "https://x.example.com/a?x=1"
             ) -> requests.PreparedRequest:
    return auth(requests.Request("GET", url).prepare())


@pytest.mark.parametrize(("spec", "header", "value"), [
    (HeaderTokenAuthSpec(type="header_token", header="X-Shopify-Access-Token"),
     "X-Shopify-Access-Token", "cs_password_1"),
    (HeaderTokenAuthSpec(type="header_token", header="X-Api", secret_field="extra.api_token",
                         prefix="Token "), "X-Api", "Token tok_extra_1"),
    (BasicAuthSpec(type="basic"), "Authorization", BASIC),
    (BearerAuthSpec(type="bearer"), "Authorization", "Bearer cs_password_1"),
])
def test_header_auths(spec: object, header: str, value: str) -> None:
    req = prepared(build_auth(spec, CONN, requests.Session(), 5))
    assert req.headers[header] == value
    assert "cs_password_1" not in redact(f"header {req.headers[header]}")


def test_query_params_auth() -> None:
    spec = QueryParamsAuthSpec(type="query_params",
                               params={"consumer_key": "login", "consumer_secret": "password"})
    req = prepared(build_auth(spec, CONN, requests.Session(), 5))
    query = parse_qs(urlsplit(req.url).query)
    assert query == {"x": ["1"], "consumer_key": ["ck_login"], "consumer_secret": ["cs_password_1"]}
    assert "Authorization" not in req.headers


def test_missing_connection_field_is_config_error() -> None:
    spec = BearerAuthSpec(type="bearer", secret_field="extra.nope")
    with pytest.raises(ConfigError, match=r"extra\.nope is empty"):
        build_auth(spec, CONN, requests.Session(), 5)


def test_registry_has_every_type() -> None:
    assert set(REGISTRY.names("auth")) == {
        "basic", "bearer", "ebay_refresh_token", "frappe_token",
        "gateway_signed", "header_token", "lwa_refresh_token", "magento",
        "none", "oauth2_client_credentials", "oauth2_refresh_token",
        "odoo_jsonrpc", "query_params", "salesforce_oauth", "sf_digest",
        "udesk_v2", "weidian_token", "weimob_oauth2", "youzan_token"}


TOKEN_URL = "https://auth.example.com/token"
API = "https://api.example.com/items"


def oauth(clock: FakeClock) -> OAuth2RefreshTokenAuth:
    spec = OAuth2RefreshTokenAuthSpec(type="oauth2_refresh_token", token_url=TOKEN_URL)
    auth = build_auth(spec, CONN, requests.Session(), 5)
    assert isinstance(auth, OAuth2RefreshTokenAuth)
    auth.clock = clock
    return auth


@responses.activate(assert_all_requests_are_fired=True)
def test_oauth2_token_is_cached_until_expiry() -> None:
    token_calls = responses.post(TOKEN_URL, json={"access_token": "at_first_1", "expires_in": 3600})
    responses.post(TOKEN_URL, json={"access_token": "at_second_2", "expires_in": 3600,
                                    "refresh_token": "rt_rotated_2"})
    clock = FakeClock()
    auth = oauth(clock)
    session = requests.Session()
    api = responses.get(API, json={"items": []})
    session.get(API, auth=auth, timeout=5)
    session.get(API, auth=auth, timeout=5)
    assert token_calls.call_count == 1
    body = parse_qs(token_calls.calls[0].request.body)
    assert body == {"grant_type": ["refresh_token"], "refresh_token": ["rt_refresh_1"],
                    "client_id": ["ck_login"], "client_secret": ["cs_password_1"]}
    clock.now += 3600 - 59  # inside the 60 s margin: refresh before it expires
    session.get(API, auth=auth, timeout=5)
    assert [c.request.headers["Authorization"] for c in api.calls] == [
        "Bearer at_first_1", "Bearer at_first_1", "Bearer at_second_2"]
    assert auth.refresh_token == "rt_rotated_2"
    assert "at_second_2" not in redact("token at_second_2")


@responses.activate(assert_all_requests_are_fired=True)
def test_oauth2_refreshes_once_on_401() -> None:
    responses.post(TOKEN_URL, json={"access_token": "at_old_1", "expires_in": 3600})
    responses.post(TOKEN_URL, json={"access_token": "at_new_2", "expires_in": 3600})
    responses.get(API, status=401, json={"error": "invalid_token"})
    ok = responses.get(API, json={"items": [1]})
    auth = oauth(FakeClock())
    resp = requests.Session().get(API, auth=auth, timeout=5)
    assert resp.status_code == 200
    assert ok.calls[0].request.headers["Authorization"] == "Bearer at_new_2"
    assert auth.refreshes == 2


@responses.activate(assert_all_requests_are_fired=True)
def test_oauth2_second_401_is_returned_not_looped() -> None:
    responses.post(TOKEN_URL, json={"access_token": "at_a_1", "expires_in": 3600})
    responses.post(TOKEN_URL, json={"access_token": "at_b_2", "expires_in": 3600})
    api = responses.get(API, status=401, json={"error": "invalid_token"})
    resp = requests.Session().get(API, auth=oauth(FakeClock()), timeout=5)
    assert resp.status_code == 401
    assert api.call_count == 2


@responses.activate(assert_all_requests_are_fired=True)
def test_oauth2_on_the_session_it_fetches_tokens_with_does_not_wait_on_itself() -> None:
    # the HTTP client sets the auth on the session the auth posts its token request with
    responses.post(TOKEN_URL, json={"access_token": "at_own_1", "expires_in": 3600})
    api = responses.get(API, json={"items": []})
    session = requests.Session()
    spec = OAuth2RefreshTokenAuthSpec(type="oauth2_refresh_token", token_url=TOKEN_URL)
    session.auth = build_auth(spec, CONN, session, 5)
    done: list[int] = []
    worker = threading.Thread(target=lambda: done.append(session.get(API, timeout=5).status_code),
                              daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert done == [200], "the token request waited on the auth's own lock"
    assert api.calls[0].request.headers["Authorization"] == "Bearer at_own_1"
    assert "Authorization" not in responses.calls[0].request.headers


@responses.activate(assert_all_requests_are_fired=True)
def test_oauth2_token_endpoint_refusal_is_fatal() -> None:
    responses.post(TOKEN_URL, status=400, json={"error": "invalid_grant",
                                                "error_description": "refresh token revoked"})
    with pytest.raises(FatalAPIError, match="invalid_grant: refresh token revoked"):
        oauth(FakeClock()).token()
