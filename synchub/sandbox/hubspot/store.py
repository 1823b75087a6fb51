"""The simulated HubSpot account: CRM contacts with properties, batch writes, search.

Contacts are kept as HubSpot shows them: a string ``id``, a ``properties`` object of
string values, ``createdAt``/``updatedAt`` and ``archived``. Emails are unique and compared
without case (HubSpot stores them in lower case); ``synchub_id`` is a custom property with
unique values, so it may serve as an ``idProperty`` too. Batch endpoints answer per input:
a refused input becomes an entry of ``errors`` (HTTP 207) while the others are applied.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from synchub.sandbox.kit.limits import RollingWindow
from synchub.sandbox.kit.seed import YEAR_SECONDS, YEAR_START, person, rng_for
from synchub.sandbox.kit.store import BaseStore

MAX_BATCH = 100
RATE_MAX, RATE_INTERVAL_MS = 100, 10_000  # private apps, Free/Starter: 100 per rolling 10 s
UNIQUE_PROPERTIES = frozenset({"email", "synchub_id", "hs_object_id"})
PROPERTIES = frozenset({
    "email", "firstname", "lastname", "phone", "mobilephone", "company", "address", "city",
    "state", "zip", "country", "website", "jobtitle", "lifecyclestage", "hs_lead_status",
    "synchub_id", "synchub_source", "createdate", "lastmodifieddate", "hs_object_id",
})
READ_ONLY = frozenset({"createdate", "lastmodifieddate", "hs_object_id"})
DEFAULT_PROPERTIES = ("firstname", "lastname", "email", "createdate", "lastmodifieddate",
                      "hs_object_id")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def iso_ms(ts: float) -> str:
    """HubSpot's timestamp form: UTC with milliseconds and ``Z``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def error(message: str, category: str, **extra: Any) -> dict[str, Any]:
    """HubSpot's error body (``status``, ``message``, ``correlationId``, ``category``)."""
    return {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
            "category": category, **extra}


class BatchRefused(Exception):
    """The whole batch is refused (answered 400 or 409 with an error body)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body["message"])
        self.status, self.body = status, body


class HubSpotStore(BaseStore):
    """One HubSpot account behind ``/hubspot/<name>``; volume key ``customers`` seeds contacts."""

    system = "hubspot"

    def __init__(self, seed: int, name: str, *, customers: int = 50, orders: int = 0,
                 products: int = 0, poisoned: int = 0, rate_limits: bool = True) -> None:
        super().__init__(seed, name, orders=0, customers=customers, products=products,
                         poisoned=0, rate_limits=rate_limits)
        self.access_token = f"pat-sandbox-{name}"
        self.portal_id = 1000 + rng_for(self.key, "portal").randrange(9000)
        self.window = RollingWindow(RATE_MAX, RATE_INTERVAL_MS / 1000)
        self.contacts: dict[int, dict[str, Any]] = {}
        self._next_id = 101
        for j in range(self.volume["customers"]):
            p = person(self.key, j)
            ts = YEAR_START + rng_for(self.key, "contact", j).randrange(YEAR_SECONDS)
            addr = p["address"]
            self._insert({"email": f"lead{j + 1}@example.net", "firstname": p["first_name"],
                          "lastname": p["last_name"], "phone": p["phone"],
                          "city": addr["city"], "zip": addr["zip"],
                          "country": addr["country_code"], "lifecyclestage": "lead"}, ts)

    def credentials(self) -> dict[str, str]:
        """The private-app access token."""
        return {"access_token": self.access_token}

    def counts(self) -> dict[str, int]:
        """Number of records of each kind."""
        with self.lock:
            return {"contacts": len(self.contacts)}

    # --- records --------------------------------------------------------------------------
    def _insert(self, props: dict[str, Any], ts: float) -> dict[str, Any]:
        cid = self._next_id
        self._next_id += 1
        stamp = iso_ms(ts)
        values = {k: str(v) for k, v in props.items() if v is not None}
        if "email" in values:
            values["email"] = values["email"].lower()
        values.update(createdate=stamp, lastmodifieddate=stamp, hs_object_id=str(cid))
        contact = {"id": str(cid), "properties": values, "createdAt": stamp,
                   "updatedAt": stamp, "archived": False}
        self.contacts[cid] = contact
        return contact

    def _update(self, contact: dict[str, Any], props: dict[str, Any], ts: float) -> None:
        stamp = iso_ms(ts)
        for key, value in props.items():
            if value is None or value == "":
                contact["properties"].pop(key, None)  # HubSpot clears a property on ""
            else:
                contact["properties"][key] = str(value).lower() if key == "email" else str(value)
        contact["properties"]["lastmodifieddate"] = stamp
        contact["updatedAt"] = stamp

    def find(self, prop: str, value: Any) -> dict[str, Any] | None:
        """The contact whose ``prop`` equals ``value`` (emails without case), or None."""
        if prop in ("hs_object_id", "id"):
            return self.contacts.get(int(value)) if str(value).isdigit() else None
        want = str(value).lower() if prop == "email" else str(value)
        for contact in self.contacts.values():
            have = contact["properties"].get(prop)
            if have is not None and (have.lower() if prop == "email" else have) == want:
                return contact
        return None

    def view(self, contact: dict[str, Any], props: list[str] | None) -> dict[str, Any]:
        """A contact with only the asked properties (HubSpot's defaults when none asked)."""
        names = list(props or DEFAULT_PROPERTIES)
        names += [n for n in ("createdate", "lastmodifieddate", "hs_object_id") if n not in names]
        shown = {n: contact["properties"].get(n) for n in names}
        return {**contact, "properties": shown}

    # --- validation -----------------------------------------------------------------------
    def _bad_properties(self, props: Any) -> dict[str, Any] | None:
        """HubSpot's VALIDATION_ERROR for invalid property values of one input, or None."""
        if not isinstance(props, dict):
            return error("Invalid input JSON: properties must be an object", "VALIDATION_ERROR")
        problems = []
        for name, value in props.items():
            if name not in PROPERTIES:
                problems.append({"isValid": False, "message": f'Property "{name}" does not exist',
                                 "error": "PROPERTY_DOESNT_EXIST", "name": name})
            elif name in READ_ONLY:
                problems.append({"isValid": False, "message": f'"{name}" is a read only property',
                                 "error": "READ_ONLY_VALUE", "name": name})
            elif name == "email" and value and not EMAIL.match(str(value)):
                problems.append({"isValid": False,
                                 "message": f"Email address {value} is invalid",
                                 "error": "INVALID_EMAIL", "name": "email"})
        if not problems:
            return None
        text = ",".join("{" + ", ".join(f"{k}={v}" for k, v in p.items()) + "}" for p in problems)
        return error(f"Property values were not valid: [{text}]", "VALIDATION_ERROR")

    def _inputs(self, body: Any) -> list[Any]:
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list):
            raise BatchRefused(400, error("Invalid input JSON on line 1: inputs is required",
                                          "VALIDATION_ERROR"))
        if len(inputs) > MAX_BATCH:
            raise BatchRefused(400, error(
                f"Batch input size {len(inputs)} exceeds the limit of {MAX_BATCH}",
                "VALIDATION_ERROR", subCategory="BatchInputError.INPUT_TOO_LARGE"))
        return inputs

    # --- batch writes -----------------------------------------------------------------------
    def upsert(self, body: Any) -> tuple[int, dict[str, Any]]:
        """``batch/upsert``: create or update each input by its ``idProperty`` value."""
        started = iso_ms(time.time())
        inputs = self._inputs(body)
        keys: list[str] = []
        for item in inputs:
            prop = item.get("idProperty") if isinstance(item, dict) else None
            if prop not in UNIQUE_PROPERTIES - {"hs_object_id"}:
                raise BatchRefused(400, error(
                    f"idProperty {prop!s} is not a unique property of contacts",
                    "VALIDATION_ERROR"))
            raw = str(item.get("id") or "")
            keys.append(f"{prop}:{raw.lower() if prop == 'email' else raw}")
        dupes = sorted({k.split(":", 1)[1] for k in keys if keys.count(k) > 1})
        if dupes:
            raise BatchRefused(400, error(
                f"Duplicate IDs found in batch input: [{', '.join(dupes)}]. IDs must be unique",
                "VALIDATION_ERROR"))
        now = self.stamp()
        results, errors = [], []
        for item in inputs:
            trace = item.get("objectWriteTraceId")
            props = dict(item.get("properties") or {})
            prop, value = item["idProperty"], item.get("id")
            problem = self._bad_properties(props) or (
                self._bad_properties({prop: value}) if prop == "email" else None)
            if problem is None and not value:
                problem = error(f"{prop} is required to upsert", "VALIDATION_ERROR")
            if problem is not None:
                ctx = {"objectWriteTraceId": [trace]} if trace else {"ids": [str(value)]}
                errors.append({**problem, "context": ctx})
                continue
            props[prop] = value  # the id value is written to its property
            found = self.find(prop, value)
            if found is None:
                found, new = self._insert(props, now), True
            else:
                self._update(found, props, now)
                new = False
            result = {**self.view(found, sorted(found["properties"])), "new": new}
            if trace:
                result["objectWriteTraceId"] = trace
            results.append(result)
        # HubSpot does not promise results in input order; the sandbox makes that visible
        results.reverse()
        reply: dict[str, Any] = {"status": "COMPLETE", "results": results,
                                 "startedAt": started, "completedAt": iso_ms(time.time())}
        if errors:
            reply.update(numErrors=len(errors), errors=errors)
            return 207, reply
        return 200, reply

    def create(self, body: Any) -> tuple[int, dict[str, Any]]:
        """``batch/create``: new contacts; an email that exists refuses the batch (409)."""
        inputs = self._inputs(body)
        for item in inputs:
            props = item.get("properties") if isinstance(item, dict) else None
            problem = self._bad_properties(props)
            if problem is not None or not isinstance(props, dict):
                raise BatchRefused(400, problem or error("Invalid input JSON",
                                                         "VALIDATION_ERROR"))
            found = self.find("email", props["email"]) if props.get("email") else None
            if found is not None:
                raise BatchRefused(409, error(
                    f"Contact already exists. Existing ID: {found['id']}", "CONFLICT"))
        now = self.stamp()
        created = [self._insert(dict(item["properties"]), now) for item in inputs]
        return 201, {"status": "COMPLETE", "results": [self.view(c, None) for c in created],
                     "startedAt": iso_ms(time.time()), "completedAt": iso_ms(time.time())}

    def read(self, body: Any) -> tuple[int, dict[str, Any]]:
        """``batch/read`` by id or ``idProperty``; unknown ids are reported, not fatal."""
        inputs = self._inputs(body)
        prop = body.get("idProperty") or "hs_object_id"
        props = body.get("properties") or None
        results, missing = [], []
        for item in inputs:
            value = item.get("id") if isinstance(item, dict) else None
            found = self.find(prop, value) if value is not None else None
            if found is None:
                missing.append(str(value))
            else:
                results.append(self.view(found, props))
        reply: dict[str, Any] = {"status": "COMPLETE", "results": results,
                                 "startedAt": iso_ms(time.time()),
                                 "completedAt": iso_ms(time.time())}
        if missing:
            reply.update(numErrors=1, errors=[{
                **error(f"Could not get some CONTACT objects, they may be deleted or not "
                        f"exist. Check that ids are valid numbers and that the {prop} "
                        "values exist.", "OBJECT_NOT_FOUND"),
                "context": {"ids": missing}}])
            return 207, reply
        return 200, reply

    # --- reads ----------------------------------------------------------------------------
    def page(self, limit: int, after: int) -> tuple[list[dict[str, Any]], int | None]:
        """Contacts with id >= ``after`` in id order, and the next ``after`` (None at the end)."""
        ids = sorted(i for i in self.contacts if i >= after)
        chosen = ids[:limit]
        nxt = chosen[-1] + 1 if len(ids) > limit else None
        return [self.contacts[i] for i in chosen], nxt

    def search(self, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Contacts matching any filter group (every filter of a group), in id order."""
        def ok(contact: dict[str, Any], f: dict[str, Any]) -> bool:
            name, op = f.get("propertyName"), f.get("operator", "EQ")
            have = contact["properties"].get(name) if name != "id" else contact["id"]
            if op == "HAS_PROPERTY":
                return have is not None
            if op == "NOT_HAS_PROPERTY":
                return have is None
            values = f.get("values") if op == "IN" else [f.get("value")]
            want = {str(v).lower() for v in values or []}
            hit = have is not None and have.lower() in want
            return not hit if op == "NEQ" else hit

        return [self.contacts[i] for i in sorted(self.contacts)
                if not groups or any(all(ok(self.contacts[i], f) for f in g.get("filters") or [])
                                     for g in groups)]

    # --- mutation -------------------------------------------------------------------------
    def mutate(self, orders_created: int = 0, orders_updated: int = 0,
               customers_created: int = 0, customers_updated: int = 0,
               products_updated: int = 0, inventory_changed: int = 0) -> dict[str, list[Any]]:
        """Create contacts and change the lifecycle stage of some (a CRM has no orders here)."""
        with self.lock:
            now = self.stamp()
            out: dict[str, list[Any]] = {"customers_created": [], "customers_updated": []}
            for _ in range(customers_created):
                n = self._next_id
                out["customers_created"].append(
                    self._insert({"email": f"new{n}@example.net", "lifecyclestage": "lead"},
                                 now)["id"])
            ids = sorted(self.contacts)
            for cid in sorted(self._mut_rng.sample(ids, min(customers_updated, len(ids)))):
                self._update(self.contacts[cid], {"lifecyclestage": "customer"}, now)
                out["customers_updated"].append(str(cid))
            return out
