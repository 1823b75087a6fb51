"""A sandbox server on a free loopback port, shared by the module's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from synchub.sandbox import Sandbox, SandboxServer

API = "/admin/api/2025-07"
WC = "/wp-json/wc/v3"


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    sb = Sandbox(seed=7)
    sb.shopify("demo", orders=130, customers=25, products=12)
    sb.shopify("poison", orders=60, customers=5, products=5, poisoned=3)
    sb.woocommerce("demo", orders=130, customers=23, products=15)
    sb.woocommerce("poison", orders=40, customers=5, products=5, poisoned=3)
    return sb


@pytest.fixture(scope="module")
def server(sandbox: Sandbox) -> Iterator[SandboxServer]:
    with SandboxServer(sandbox) as srv:
        yield srv


@pytest.fixture()
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def shopify_get(http: requests.Session, server: SandboxServer, store: str, path: str,
                token: str | None = None, **params: object) -> requests.Response:
    """GET a Shopify REST path with the store's token."""
    return http.get(server.shopify_url(store) + API + path, params=params,
                    headers={"X-Shopify-Access-Token": token or f"shpat_sandbox_{store}"},
                    timeout=10)


def woo_get(http: requests.Session, server: SandboxServer, store: str, path: str,
            **params: object) -> requests.Response:
    """GET a WooCommerce REST path with the store's key pair (HTTP Basic)."""
    return http.get(server.woocommerce_url(store) + WC + path, params=params,
                    auth=(f"ck_sandbox_{store}", f"cs_sandbox_{store}"), timeout=10)
