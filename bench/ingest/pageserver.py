"""Prebuilt pages: the Shopify sandbox's orders served as the bytes it encoded, and nothing more.

The sandbox (FastAPI on uvicorn) builds, filters and encodes every page it serves; at a few
thousand orders a second it, not the contender, was the bottleneck of the read floor. For
the benchmark the pages are taken from the sandbox once (``capture``), written as files, and
served by this minimal threaded HTTP/1.1 server the way the real API serves a fast client:
the same bodies, ``limit=250``, a ``Link`` header to the next page, the access token checked.
Query filters are not applied: a contender reads every order of the capture, whatever
window it asks for (a fresh store asks for all of them; a second run re-reads them all,
which is the unchanged re-read the benchmark measures).

``python bench/ingest/pageserver.py --pages DIR --token T --ready FILE`` serves ``DIR``
(``NNNNNN.json`` pages and ``graphql.json``) on a free loopback port and writes
``{"base_url", "pid"}`` to ``FILE`` when it listens. ``GET /_bench/stats`` answers the
number of API requests served.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

ORDERS_PATH = "/admin/api/2025-07/orders.json"
GRAPHQL_PATH = "/admin/api/2025-07/graphql.json"
PAGE_SIZE = 250


def capture(shop_url: str, token: str, out: Path) -> int:
    """Walk every page of the sandbox's orders and write their bodies; return the order count.

    Pages are ``out/000000.json`` on; ``out/graphql.json`` is the sandbox's answer to the
    connector's shop query (its context: the shop's currency).
    """
    out.mkdir(parents=True, exist_ok=True)
    session = requests.Session()
    session.headers["X-Shopify-Access-Token"] = token
    url: str | None = shop_url + ORDERS_PATH
    query: dict[str, str] | None = {"limit": str(PAGE_SIZE), "status": "any"}
    total = pages = 0
    while url:
        reply = session.get(url, params=query, timeout=300)
        reply.raise_for_status()
        body = reply.content
        total += len(json.loads(body)["orders"])
        (out / f"{pages:06d}.json").write_bytes(body)
        pages += 1
        url = reply.links.get("next", {}).get("url")
        query = None
    reply = session.post(shop_url + GRAPHQL_PATH, json={"query": "{ shop { currencyCode } }"},
                         timeout=60)
    reply.raise_for_status()
    (out / "graphql.json").write_bytes(reply.content)
    session.close()
    return total


class _State:
    def __init__(self, pages: Path, token: str) -> None:
        self.pages = sorted(p for p in pages.glob("[0-9]*.json"))
        self.graphql = (pages / "graphql.json").read_bytes()
        self.token = token.encode()
        self.lock = threading.Lock()
        self.requests = 0

    def count(self) -> None:
        with self.lock:
            self.requests += 1


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real API

        def log_message(self, format: str, *args: Any) -> None:
            return  # no access log: it would cost more than serving

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None
                  ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _authorized(self) -> bool:
            given = (self.headers.get("X-Shopify-Access-Token") or "").encode()
            if hmac.compare_digest(given, state.token):
                return True
            self._send(401, b'{"errors":"[API] Invalid API key or access token '
                            b'(unrecognized login or wrong password)"}')
            return False

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/_bench/stats":
                self._send(200, json.dumps({"requests": state.requests}).encode())
                return
            if url.path != ORDERS_PATH:
                self._send(404, b'{"errors":"Not Found"}')
                return
            if not self._authorized():
                return
            state.count()
            info = parse_qs(url.query).get("page_info", ["0"])[0]
            index = int(info) if info.isdigit() else -1
            if not 0 <= index < len(state.pages):
                self._send(400, b'{"errors":{"page_info":"Invalid value."}}')
                return
            headers = {"X-Shopify-Shop-Api-Call-Limit": "1/40"}
            if index + 1 < len(state.pages):
                host = self.headers.get("Host", "127.0.0.1")
                headers["Link"] = (f'<http://{host}{ORDERS_PATH}?limit={PAGE_SIZE}'
                                   f'&page_info={index + 1}>; rel="next"')
            self._send(200, state.pages[index].read_bytes(), headers)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if urlsplit(self.path).path != GRAPHQL_PATH:
                self._send(404, b'{"errors":"Not Found"}')
                return
            if not self._authorized():
                return
            state.count()
            self._send(200, state.graphql)

    return Handler


def main(argv: list[str] | None = None) -> int:
    """Serve a capture until terminated."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=Path, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--ready", type=Path, required=True)
    args = parser.parse_args(argv)
    state = _State(args.pages, args.token)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    port = server.server_address[1]
    tmp = args.ready.with_suffix(".tmp")
    tmp.write_text(json.dumps({"base_url": f"http://127.0.0.1:{port}", "pid": os.getpid(),
                               "pages": len(state.pages)}))
    tmp.replace(args.ready)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
