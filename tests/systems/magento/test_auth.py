"""Magento auth: OAuth 1.0a known answers from RFC 5849, the header on the wire, the
scheme chosen in the Connection, the admin token fetched once and renewed on a 401."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest
import responses

from synchub.config.connector_checks import load_connector
from synchub.errors import ConfigError
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.systems.magento.auth import (
    OAuth1Auth,
    sign,
    signature_base_string,
)

ROOT = Path(__file__).resolve().parents[3]
SPEC = load_connector(ROOT / "connectors" / "magento" / "connector.yaml")
HOST = "https://shop.example.com"


def test_rfc5849_base_string_example() -> None:
    # RFC 5849 section 3.4.1.1: query, form body and oauth parameters, encoded twice
    base = signature_base_string(
        "POST", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
        {"oauth_consumer_key": "9djdj82h48djs9d2", "oauth_token": "kkk9d7dh3k39sjv7",
         "oauth_signature_method": "HMAC-SHA1", "oauth_timestamp": "137131201",
         "oauth_nonce": "7d8f3e4a"}, form=[("c2", ""), ("a3", "2 q")])
    assert base == (
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26"
        "b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26"
        "oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D"
        "137131201%26oauth_token%3Dkkk9d7dh3k39sjv7")


PHOTOS = {"oauth_consumer_key": "dpf43f3p2l4k3l03", "oauth_token": "nnch734d00sl2jdk",
          "oauth_signature_method": "HMAC-SHA1"}


@pytest.mark.parametrize(("extra", "expected"), [
    # RFC 5849 section 1.2
    ({"oauth_timestamp": "137131202", "oauth_nonce": "chapoH"},
     "MdpQcU8iPSUjWoN/UDMsK2sui9I="),
    # OAuth Core 1.0 appendix A.5
    ({"oauth_timestamp": "1191242096", "oauth_nonce": "kllo9940pd9333jh",
      "oauth_version": "1.0"}, "tR3+Ty81lMeYAr/Fid0kMTYa/WM="),
])
def test_published_hmac_sha1_signatures(extra: dict[str, str], expected: str) -> None:
    base = signature_base_string(
        "GET", "http://photos.example.net/photos?file=vacation.jpg&size=original",
        {**PHOTOS, **extra})
    assert sign(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00", "HMAC-SHA1") == expected


def test_hmac_sha256_signs_the_same_base_string_with_sha256() -> None:
    # no published SHA-256 vector: the same RFC base string and key, digest swapped
    import base64
    import hashlib
    import hmac
    base = signature_base_string(
        "GET", "http://photos.example.net/photos?file=vacation.jpg&size=original",
        {**PHOTOS, "oauth_timestamp": "137131202", "oauth_nonce": "chapoH"})
    want = base64.b64encode(hmac.new(b"kd94hf93k423kf44&pfkkdhi9sl3r4s00", base.encode(),
                                     hashlib.sha256).digest()).decode()
    assert sign(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00") == want


def test_the_header_signs_the_search_criteria_of_the_query() -> None:
    auth = OAuth1Auth("ck", "cs", "tok", "ts", clock=lambda: 1700000000.0,
                      new_nonce=lambda: "n0nce")
    url = ("https://shop.example.com/rest/V1/orders?searchCriteria%5BpageSize%5D=100"
           "&searchCriteria%5BcurrentPage%5D=2")
    header = auth.header("GET", url)
    fields = dict(p.split("=", 1) for p in header.removeprefix("OAuth ").split(","))
    params = {k: unquote(v.strip('"')) for k, v in fields.items()}
    assert params["oauth_signature_method"] == "HMAC-SHA256"
    assert (params["oauth_nonce"], params["oauth_timestamp"]) == ("n0nce", "1700000000")
    base = signature_base_string("GET", url, {k: v for k, v in params.items()
                                              if k != "oauth_signature"})
    assert "searchCriteria%255BcurrentPage%255D%3D2" in base
    assert params["oauth_signature"] == sign(base, "cs", "ts")


def client(**conn: object) -> ConnectorClient:
    info = ConnectionInfo(conn_id="magento", host=HOST, **conn)  # type: ignore[arg-type]
    return ConnectorClient(SPEC, info, sleep=lambda _s: None)


@responses.activate(assert_all_requests_are_fired=True)
def test_bearer_is_the_default_scheme() -> None:
    responses.get(f"{HOST}/rest/V1/orders", json={"items": [], "total_count": 0},
                  match=[responses.matchers.header_matcher(
                      {"Authorization": "Bearer itok"})])
    client(password="itok").http.get(f"{HOST}/rest/V1/orders")


@responses.activate(assert_all_requests_are_fired=True)
def test_oauth1_scheme_signs_every_request() -> None:
    responses.get(f"{HOST}/rest/V1/orders", json={"items": [], "total_count": 0})
    c = client(extra={"auth_scheme": "oauth1", "consumer_key": "ck", "consumer_secret": "cs",
                      "access_token": "tok", "access_token_secret": "ts"})
    c.http.get(f"{HOST}/rest/V1/orders")
    sent = responses.calls[0].request.headers["Authorization"]
    assert sent.startswith("OAuth ") and 'oauth_token="tok"' in sent
    assert "cs" not in sent.split("oauth_signature")[0].replace("oauth_consumer_key", "")


@responses.activate(assert_all_requests_are_fired=True)
def test_admin_token_fetched_once_then_renewed_on_a_401() -> None:
    token_url = f"{HOST}/rest/V1/integration/admin/token"
    responses.post(token_url, json="tok1", match=[responses.matchers.json_params_matcher(
        {"username": "admin", "password": "pw"})])
    responses.get(f"{HOST}/rest/V1/orders", json={"items": []},
                  match=[responses.matchers.header_matcher({"Authorization": "Bearer tok1"})])
    responses.get(f"{HOST}/rest/V1/orders", status=401,
                  json={"message": "The consumer isn't authorized to access %resources."},
                  match=[responses.matchers.header_matcher({"Authorization": "Bearer tok1"})])
    responses.post(token_url, json="tok2")
    responses.get(f"{HOST}/rest/V1/orders", json={"items": []},
                  match=[responses.matchers.header_matcher({"Authorization": "Bearer tok2"})])
    c = client(login="admin", password="pw", extra={"auth_scheme": "admin_token"})
    c.http.get(f"{HOST}/rest/V1/orders")
    c.http.get(f"{HOST}/rest/V1/orders")
    assert [json.loads(r.request.body)["username"] for r in responses.calls
            if r.request.url == token_url] == ["admin", "admin"]


def test_an_unknown_scheme_names_the_field() -> None:
    with pytest.raises(ConfigError, match=r"extra.auth_scheme is 'oauth2'.*bearer, oauth1"):
        client(password="x", extra={"auth_scheme": "oauth2"}).http.get(f"{HOST}/rest/V1/x")
