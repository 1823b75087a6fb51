"""The HTTP client of one connection: session, auth, rate limits, retries, statistics.

Every request has a timeout, passes the connection's rate limiters, and is classified by
:func:`synchub.runtime.classify.classify`; tenacity retries only
:class:`~synchub.errors.RetriableAPIError`, with exponential backoff and jitter, honouring
``Retry-After``. Every transport shares it: ``rest`` (GET), ``graphql`` (POSTed queries) and
those systems add, which may pass an ``unwrap`` function that opens their answer's envelope
(and raises the engine's error classes for errors answered with HTTP 200).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
)
from tenacity.wait import wait_random_exponential

from synchub.config.connector import ConnectorSpec, GraphQLCostSpec
from synchub.errors import APIError, FatalAPIError, RetriableAPIError, redact, safe_url
from synchub.runtime.auth import build_auth
from synchub.runtime.classify import classify, graphql_errors
from synchub.runtime.connection import ConnectionInfo
from synchub.runtime.ratelimit import (
    CostReservation,
    GraphQLCostLimiter,
    Pace,
    RateLimiter,
    build_limiter,
    requested_cost,
)
from synchub.runtime.tokens import TokenCache

log = logging.getLogger("synchub.runtime")
USER_AGENT = "synchub/0.1"
_TRANSIENT = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
              requests.exceptions.ContentDecodingError)


@dataclass
class ClientStats:
    """What one client did so far."""

    requests: int = 0
    retries: int = 0
    throttled_seconds: float = 0.0
    bytes: int = 0


class HttpClient:
    """Sends requests for one connection; thread-safe, one pooled session."""

    def __init__(self, spec: ConnectorSpec, conn: ConnectionInfo, *,
                 session: requests.Session | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 tokens: TokenCache | None = None) -> None:
        http = spec.http
        self.spec, self.conn, self.sleep = spec, conn, sleep
        self.timeout = http.timeout_seconds
        self.session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=http.pool_size, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json",
                                     **http.headers})
        self.auth = build_auth(spec.auth, conn, self.session, self.timeout, tokens)
        self.session.auth = self.auth
        # limiters per transport name; "*" holds those that apply to every transport
        self.limiters: dict[str, list[RateLimiter]] = {"*": []}
        self._by_transport: dict[str, list[RateLimiter]] = {}
        self.cost_limiter: GraphQLCostLimiter | None = None
        for lspec in http.rate_limits():
            limiter = build_limiter(lspec, clock, sleep)
            if isinstance(lspec, GraphQLCostSpec):
                self.cost_limiter = limiter  # type: ignore[assignment]
                self.limiters.setdefault("graphql", []).append(limiter)
            else:
                for transport in lspec.transports or ["*"]:
                    self.limiters.setdefault(transport, []).append(limiter)
        self._costs: dict[str, float] = {}  # GraphQL query text -> last requested cost
        self.stats = ClientStats()
        self._lock = threading.Lock()
        self._retrying = Retrying(
            retry=retry_if_exception_type(RetriableAPIError),
            stop=stop_after_attempt(http.max_retries + 1),
            wait=self._wait,
            before_sleep=self._before_sleep,
            sleep=sleep,
            reraise=True,
        )
        # a write sent "once" is retried only when the system said it did not apply it
        self._retrying_once = self._retrying.copy(retry=retry_if_exception(_not_applied))
        self._backoff = wait_random_exponential(multiplier=http.backoff.initial_seconds,
                                                max=http.backoff.max_seconds)

    def get(self, url: str, params: dict[str, Any] | None = None) -> tuple[requests.Response, Any]:
        """GET with retries; returns the response and its parsed JSON body."""
        return self.request("rest", "GET", url, params=params)

    def graphql(self, url: str, query: str, variables: dict[str, Any] | None = None, *,
                once: bool = False) -> tuple[requests.Response, Any]:
        """POST a GraphQL query with retries; GraphQL errors raise like HTTP errors."""
        return self.request("graphql", "POST", url, json={"query": query,
                                                         "variables": variables or {}},
                            once=once)

    def request(self, transport: str, method: str, url: str, *,
                params: dict[str, Any] | None = None, json: Any = None, once: bool = False,
                unwrap: Callable[[Any, str], Any] | None = None,
                headers: dict[str, str] | None = None,
                data: dict[str, Any] | None = None) -> tuple[requests.Response, Any]:
        """Send one logical request (retried as needed); return response and parsed body.

        ``once=True`` is for writes that are not idempotent at the system (a create, a note):
        they are retried only after a throttling answer (429, GraphQL THROTTLED), which
        says the write was not applied; a timeout or 5xx raises at once, and the caller
        looks up whether the write landed before sending it again. ``unwrap(body, url)``
        turns the parsed body into what the caller gets (an envelope's payload), raising
        for errors the system answers with HTTP 200; a retriable one is retried like a 5xx.
        ``data`` is sent as a form body (``application/x-www-form-urlencoded``).
        """
        policy = self._retrying_once if once else self._retrying
        # a copy per call: tenacity keeps per-call statistics on the Retrying object
        result: tuple[requests.Response, Any] = policy.copy()(
            self._send, transport, method, url, params, json, unwrap, headers, data)
        return result

    def _send(self, transport: str, method: str, url: str, params: dict[str, Any] | None,
              payload: Any, unwrap: Callable[[Any, str], Any] | None = None,
              headers: dict[str, str] | None = None,
              data: dict[str, Any] | None = None) -> tuple[requests.Response, Any]:
        query = payload.get("query") if transport == "graphql" and payload else None
        waited = 0.0
        reservation: CostReservation | None = None
        path = urlsplit(url).path
        for limiter in self._limiters_of(transport):
            if not limiter.applies_to(path):
                continue
            cost = 1.0
            if isinstance(limiter, GraphQLCostLimiter):
                cost = self._costs.get(query or "", limiter.default_cost)
                reservation = CostReservation(limiter, cost)
            waited += limiter.acquire(cost)
        try:
            return self._exchange(transport, method, url, params, payload, unwrap, headers,
                                  waited, reservation, data)
        finally:
            # an attempt that failed before its answer reported a cost is charged nothing
            if reservation is not None:
                reservation.settle(None, failed=True)

    def _exchange(self, transport: str, method: str, url: str, params: dict[str, Any] | None,
                  payload: Any, unwrap: Callable[[Any, str], Any] | None,
                  headers: dict[str, str] | None, waited: float,
                  reservation: CostReservation | None,
                  data: dict[str, Any] | None = None) -> tuple[requests.Response, Any]:
        """One attempt after the limiters let it go: send, classify, read the cost."""
        query = payload.get("query") if transport == "graphql" and payload else None
        limiters = self._limiters_of(transport)
        started = time.perf_counter()
        path = safe_url(url)
        try:
            resp = self.session.request(method, url, params=params, json=payload, data=data,
                                        headers=headers, timeout=self.timeout)
        except _TRANSIENT as exc:
            self._count(waited, 0)
            raise RetriableAPIError(f"{method} {path}: {exc.__class__.__name__}: "
                                    f"{redact(exc)}", url=path) from None
        except requests.RequestException as exc:
            self._count(waited, 0)
            raise FatalAPIError(f"{method} {path}: {exc.__class__.__name__}: {redact(exc)}",
                                url=path) from None
        self._count(waited, len(resp.content))
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s -> %d (%.0f ms)", method, path, resp.status_code,
                      (time.perf_counter() - started) * 1000)
        request_path = urlsplit(url).path
        for limiter in limiters:
            if limiter.applies_to(request_path):
                limiter.observe(resp.headers)
                if resp.status_code == 429:
                    limiter.throttled()
        body = classify(resp)
        if transport == "graphql":
            if self.cost_limiter is not None:
                self.cost_limiter.observe(resp.headers, body)
            if reservation is not None:
                reservation.settle(body, failed=bool(isinstance(body, dict)
                                                     and body.get("errors")))
            requested = requested_cost(body)
            if requested is not None and query is not None:
                self._costs[query] = requested
            wait = self.cost_limiter.wait_for(body) if self.cost_limiter else None
            graphql_errors(body, path, wait)
        if unwrap is not None:
            body = unwrap(body, path)
        return resp, body

    def pace_of(self, transport: str, path: str) -> Pace | None:
        """The slowest sustained pace among the limiters a request to ``path`` passes."""
        paces = [p for lim in self._limiters_of(transport) if lim.applies_to(path)
                 and (p := lim.pace()) is not None]
        return min(paces, key=lambda p: p.rate_per_second, default=None)

    def _limiters_of(self, transport: str) -> list[RateLimiter]:
        found = self._by_transport.get(transport)
        if found is None:  # once per transport name, not per request
            found = self._by_transport[transport] = (
                self.limiters["*"] + self.limiters.get(transport, []))
        return found

    def _count(self, waited: float, size: int) -> None:
        with self._lock:
            self.stats.requests += 1
            self.stats.bytes += size
            self.stats.throttled_seconds += waited

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return float(retry_after)
        return float(self._backoff(state))

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        # a GraphQL THROTTLED answer is HTTP 200 too; a JSON-RPC fault at 200 is no throttle
        throttled = isinstance(exc, APIError) and (
            exc.status == 429 or (exc.status == 200 and state.args[:1] == ("graphql",)))
        with self._lock:
            self.stats.retries += 1
            if throttled:
                self.stats.throttled_seconds += wait
        log.warning("retry %d/%d in %.1fs after: %s", state.attempt_number,
                    self.spec.http.max_retries, wait, exc)

    def close(self) -> None:
        """Release pooled connections."""
        self.session.close()


def _not_applied(exc: BaseException) -> bool:
    """True for a refusal that says the request was not applied.

    429, and the HTTP-200 refusals: GraphQL THROTTLED, a JSON-RPC transaction conflict
    (rolled back by the server).
    """
    return isinstance(exc, RetriableAPIError) and exc.status in (429, 200)
