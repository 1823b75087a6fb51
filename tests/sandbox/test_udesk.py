"""The Udesk simulator: the v2 signature with its anti-replay checks (a nonce is single
use), Udesk's code envelope, 60 calls a minute per API, customers by web_token, tickets
paged."""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

import requests

from synchub.sandbox import Sandbox, SandboxServer


def signed(sandbox: Sandbox, store: str = "demo", *, nonce: str | None = None,
           stamp: int | None = None, token: str | None = None) -> dict[str, str]:
    tenant = sandbox.store("udesk", store)
    ts, n = str(stamp or int(time.time())), nonce or str(uuid.uuid4())
    text = "&".join((tenant.email, token or tenant.token, ts, n, "v2"))
    return {"email": tenant.email, "timestamp": ts, "nonce": n, "sign_version": "v2",
            "sign": hashlib.sha256(text.encode()).hexdigest()}


def get(http: requests.Session, server: SandboxServer, path: str,
        params: dict[str, str], store: str = "demo") -> Any:
    return http.get(f"{server.url('udesk', store)}/open_api_v1{path}", params=params,
                    timeout=10)


def test_a_nonce_is_single_use_and_the_signature_checked(
        http: requests.Session, server: SandboxServer, sandbox: Sandbox) -> None:
    sandbox.store("udesk", "demo").rate_limits = False
    auth = signed(sandbox)
    first = get(http, server, "/tickets", auth)
    assert first.status_code == 200 and first.json()["code"] == 1000
    assert get(http, server, "/tickets", auth).json()["code"] == 20623     # replayed nonce
    assert get(http, server, "/tickets", signed(sandbox, token="x")).json()["code"] == 2059
    old = signed(sandbox, stamp=int(time.time()) - 600)
    assert get(http, server, "/tickets", old).json()["code"] == 20622
    assert get(http, server, "/tickets", {**signed(sandbox), "nonce": ""}).json()["code"] in (
        20624, 2059)


def test_customers_by_web_token_and_tickets_paged(
        http: requests.Session, server: SandboxServer, sandbox: Sandbox) -> None:
    tenant = sandbox.store("udesk", "demo")
    tenant.rate_limits = False
    base = f"{server.url('udesk', 'demo')}/open_api_v1/customers"
    made = http.post(base, params=signed(sandbox), timeout=10,
                     json={"customer": {"nick_name": "王伟", "web_token": "hub-1"}}).json()
    assert made["code"] == 1000
    twice = http.post(base, params=signed(sandbox), timeout=10,
                      json={"customer": {"nick_name": "王伟", "web_token": "hub-1"}}).json()
    assert twice["code"] == 2005
    found = get(http, server, "/customers/get_customer",
                {**signed(sandbox), "type": "web_token", "content": "hub-1"}).json()
    assert found["customer"]["id"] == made["customer"]["id"]
    missing = get(http, server, "/customers/get_customer",
                  {**signed(sandbox), "type": "web_token", "content": "nobody"}).json()
    assert missing["code"] == 2004
    page = get(http, server, "/tickets", {**signed(sandbox), "page": "1", "per_page": "2"})
    body = page.json()
    assert len(body["tickets"]) == 2 and body["meta"]["total_count"] == len(tenant.tickets)
    assert get(http, server, "/tickets", {**signed(sandbox), "per_page": "101"}
               ).json()["code"] == 2005


def test_sixty_calls_a_minute_per_api(http: requests.Session, server: SandboxServer,
                                      sandbox: Sandbox) -> None:
    tenant = sandbox.store("udesk", "limited")
    tenant.per_api_limit = 3
    statuses = [get(http, server, "/tickets", signed(sandbox, "limited"), "limited").status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = get(http, server, "/customers/get_customer",
                {**signed(sandbox, "limited"), "type": "id", "content": "1"}, "limited")
    assert other.status_code == 200      # another API has its own 60
