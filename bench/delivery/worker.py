"""One step of the delivery benchmark in a process of its own: ``worker.py STEP JOB_JSON``.

Steps: ``setup`` (migrate a fresh store; N customers and N orders of the shop written as a
sync would, in pages of 250, with SKUs read from the served Odoo database), ``resync``
(the same records written again: the store finds them unchanged), ``push`` (one
``run_push`` of ``erp`` then of ``crm``, timed by part, resident memory sampled), ``check``
(what Odoo, HubSpot and the deliveries table hold afterwards) and ``feed`` (the whole
orders feed read through the FastAPI app with a real API key). Prints one JSON line.
``--profile PATH`` runs a ``push`` under cProfile and writes the statistics of each sink
to ``PATH.<sink>``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import socket
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
import sqlalchemy as sa
from harness import DeliveryJob, OdooProbe, RssSampler, SandboxDesc
from scenario import CONSUMER, CRM, ERP, SOURCE, customer, order, pages

from synchub.plan import Hub, load_hub
from synchub.runtime import ConnectionInfo, ConnectorClient
from synchub.store import Store
from synchub.store.delivery_tables import deliveries


def _open(job: DeliveryJob) -> tuple[Hub, Store]:
    return load_hub(job.hub), Store.from_url(job.url)


def _mb(value: int) -> float:
    return round(value / 2**20, 1)


# -- setup ---------------------------------------------------------------------------------


def _write_source(job: DeliveryJob, store: Store) -> dict[str, Any]:
    skus = OdooProbe(SandboxDesc.from_ready(job.sandbox)).active_skus()
    out: dict[str, Any] = {"odoo_active_skus": len(skus)}
    for entity, make in (("customer", customer), ("order", lambda i: order(i, skus))):
        started = time.perf_counter()
        stored = unchanged = 0
        for page in pages(job.records, make):
            result = store.write_page(connection=SOURCE, stream=f"{entity}s", records=page)
            stored += result.stored
            unchanged += result.unchanged
        out[entity] = {"stored": stored, "unchanged": unchanged,
                       "seconds": round(time.perf_counter() - started, 1)}
    return out


def setup(job: DeliveryJob) -> dict[str, Any]:
    """Migrate the store and write the shop's customers and orders."""
    store = Store.from_url(job.url)
    started = time.perf_counter()
    store.migrate()
    out: dict[str, Any] = {"migrate_s": round(time.perf_counter() - started, 2)}
    out.update(_write_source(job, store))
    store.dispose()
    return out


def resync(job: DeliveryJob) -> dict[str, Any]:
    """The same customers and orders written again, as a sync that finds nothing new does."""
    store = Store.from_url(job.url)
    out = _write_source(job, store)
    store.dispose()
    return out


# -- push ----------------------------------------------------------------------------------


class Timers:
    """Seconds and calls in the parts of a push, collected by wrapping collaborators.

    Wrapped (in this process only): routing (``route_changes``), the writer's ``write``
    (everything the writer does, HTTP included), every HTTP round trip of the sink client
    (``requests.Session.request``: encoding the body, the sandbox's answer, reading it),
    the export mapping, recording outcomes, and the Odoo calls by model and method.
    """

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.odoo: Counter[str] = Counter()
        self._undo: list[Callable[[], None]] = []

    def _wrap(self, owner: Any, name: str, part: str, count: Callable[..., str] | None = None
              ) -> None:
        original = getattr(owner, name)
        seconds, calls, odoo = self.seconds, self.calls, self.odoo

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[part] += time.perf_counter() - started
                calls[part] += 1
                if count is not None:
                    odoo[count(*args, **kwargs)] += 1

        setattr(owner, name, timed)
        self._undo.append(lambda: setattr(owner, name, original))

    def install(self) -> None:
        """Wrap the collaborators (undone by :meth:`remove`)."""
        from synchub.delivery import drain, engine
        from synchub.mapping.export import CompiledExport
        from synchub.systems.odoo.rpc import OdooRpc

        self._wrap(engine, "route_changes", "route")
        self._wrap(drain.Drainer, "_write", "writer")
        self._wrap(drain.Drainer, "_record", "record")
        self._wrap(drain.Drainer, "_documents", "documents")
        self._wrap(CompiledExport, "apply", "export_mapping")
        self._wrap(requests.Session, "request", "http")

        def rpc(_self: Any, model: str, method: str, *_a: Any, **_k: Any) -> str:
            return f"{model}.{method}"

        self._wrap(OdooRpc, "read", "odoo_read", rpc)
        self._wrap(OdooRpc, "write", "odoo_write", rpc)

    def remove(self) -> None:
        """Put the originals back."""
        while self._undo:
            self._undo.pop()()

    def reset(self) -> None:
        """Start counting again (one sink after the other)."""
        self.seconds.clear()
        self.calls.clear()
        self.odoo.clear()


def _client_for(hub: Hub, desc: SandboxDesc, made: list[ConnectorClient]
                ) -> Callable[[str], ConnectorClient]:
    def client_for(sink: str) -> ConnectorClient:
        if sink == ERP:
            creds = desc.odoo["credentials"]
            info = ConnectionInfo(conn_id=ERP, conn_type="odoo", host=desc.odoo["url"],
                                  schema=creds["db"], login=creds["login"],
                                  password=creds["password"])
        else:
            info = ConnectionInfo(conn_id=CRM, conn_type="http", host=desc.hubspot["url"],
                                  password=desc.hubspot["credentials"]["access_token"])
        client = ConnectorClient(hub.connection(sink).connector, info)
        made.append(client)
        return client

    return client_for


def push(job: DeliveryJob, profile: str | None = None) -> dict[str, Any]:
    """``run_push`` of erp (orders) then crm (customers), each timed by part."""
    from synchub.delivery.engine import run_push

    hub, store = _open(job)
    desc = SandboxDesc.from_ready(job.sandbox)
    timers = Timers()
    timers.install()
    out: dict[str, Any] = {}
    try:
        for sink in (ERP, CRM):
            made: list[ConnectorClient] = []
            timers.reset()
            prof = cProfile.Profile() if profile else None
            with RssSampler() as rss:
                if prof is not None:
                    prof.enable()
                started = time.perf_counter()
                summary = run_push(store, hub, sink, run_id=f"{job.run_id}-{sink}",
                                   client_for=_client_for(hub, desc, made))
                seconds = time.perf_counter() - started
                if prof is not None:
                    prof.disable()
            s = timers.seconds
            out[sink] = {
                "summary": {k: summary[k] for k in ("status", "routed", "delivered", "skipped",
                                                    "retried", "deferred", "dead")},
                "seconds": round(seconds, 2), "route_s": round(s["route"], 2),
                "drain_s": round(seconds - s["route"], 2),
                "writer_s": round(s["writer"], 2), "http_s": round(s["http"], 2),
                "http_calls": timers.calls["http"],
                "export_mapping_s": round(s["export_mapping"], 2),
                "record_s": round(s["record"], 2), "documents_s": round(s["documents"], 2),
                # what the engine did besides routing and waiting for the writer
                "engine_drain_s": round(seconds - s["route"] - s["writer"], 2),
                "hub_own_s": round(seconds - s["http"], 2),
                "odoo_calls": dict(sorted(timers.odoo.items())),
                "throttled_s": round(sum(c.stats.throttled_seconds for c in made), 2),
                "rss_start_mb": _mb(rss.start_bytes), "rss_peak_mb": _mb(rss.peak_bytes)}
            if prof is not None:
                prof.dump_stats(f"{profile}.{sink}")
    finally:
        timers.remove()
        store.dispose()
    return out


# -- check ---------------------------------------------------------------------------------


def check(job: DeliveryJob) -> dict[str, Any]:
    """What the sinks and the deliveries table hold after the pushes."""
    _, store = _open(job)
    desc = SandboxDesc.from_ready(job.sandbox)
    odoo = OdooProbe(desc)
    d = deliveries.c
    with store.engine.connect() as conn:
        by_status = {f"{r.sink}:{r.status}": int(r.n) for r in conn.execute(
            sa.select(d.sink, d.status, sa.func.count().label("n"))
            .group_by(d.sink, d.status))}
    store.dispose()
    return {
        "deliveries": by_status,
        "odoo_sale_orders": odoo.count("sale.order", []),
        "odoo_confirmed": odoo.count("sale.order", [["state", "=", "sale"]]),
        "odoo_partners": odoo.count("res.partner", []),
        "hubspot_contacts": desc.stats("hubspot")["counts"]["contacts"],
    }


# -- feed ----------------------------------------------------------------------------------


@contextmanager
def _uvicorn(app: Any) -> Iterator[str]:
    """The app on a loopback uvicorn server in a thread; yields its base URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def feed(job: DeliveryJob) -> dict[str, Any]:
    """Read the whole orders feed, ``feed_page`` records a call, with a consumer's key."""
    from fastapi.testclient import TestClient

    from synchub.api.app import create_app
    from synchub.feeds.api import consumers_of
    from synchub.feeds.keys import issue_key

    hub, store = _open(job)
    key = issue_key(store, CONSUMER, consumers_of(hub), label="bench").key
    app = create_app(lambda: store, lambda: hub)
    headers = {"Authorization": f"Bearer {key}"}

    def read_all(get: Callable[..., Any]) -> dict[str, Any]:
        cursor, records, calls, size = "", 0, 0, 0
        seen: set[str] = set()
        while True:
            reply = get("/api/v1/feeds/order", headers=headers,
                        params={"since": cursor, "limit": job.feed_page})
            reply.raise_for_status()
            size += len(reply.content)
            body = reply.json()
            calls += 1
            seen.update(rec["id"] for rec in body["records"])
            records += len(body["records"])
            cursor = body["next_cursor"]
            if not body["has_more"]:
                # every order once: no page skipped or repeated
                return {"records": records, "distinct": len(seen), "calls": calls,
                        "mb": round(size / 2**20, 1)}

    with RssSampler() as rss:
        started = time.perf_counter()
        if job.feed_client == "uvicorn":
            with _uvicorn(app) as base, requests.Session() as session:
                got = read_all(lambda path, **kw: session.get(base + path, timeout=120, **kw))
        else:
            with TestClient(app) as client:
                got = read_all(client.get)
        seconds = time.perf_counter() - started
    store.dispose()
    return {**got, "client": job.feed_client, "page": job.feed_page,
            "seconds": round(seconds, 2), "records_per_s": round(got["records"] / seconds),
            "rss_start_mb": _mb(rss.start_bytes), "rss_peak_mb": _mb(rss.peak_bytes)}


STEPS: dict[str, Callable[[DeliveryJob], dict[str, Any]]] = {
    "setup": setup, "resync": resync, "push": push, "check": check, "feed": feed}


def main(argv: list[str] | None = None) -> int:
    """Run one step and print its figures as JSON on the last line of stdout."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("job", help="the DeliveryJob as a JSON object")
    parser.add_argument("--profile", help="push only: write cProfile statistics here")
    args = parser.parse_args(argv)
    job = DeliveryJob(**json.loads(args.job))
    started = time.perf_counter()
    result = push(job, args.profile) if args.step == "push" else STEPS[args.step](job)
    result["step_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
