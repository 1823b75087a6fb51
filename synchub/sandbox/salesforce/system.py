"""Salesforce's REST API as the sandbox serves it, under ``/salesforce/<org>``.

As Salesforce's pages describe it (docs/systems/salesforce.md):

- ``POST /services/oauth2/token``: the JWT bearer grant (an RS256 assertion whose ``iss``
  is the consumer key, ``sub`` the username, ``aud`` the login host, ``exp`` in the future,
  signed by the key of the app's certificate) or ``grant_type=refresh_token``; answers
  ``access_token``, ``instance_url``, ``id``, ``token_type``, ``issued_at`` (no lifetime);
  refusals ``400 {"error": "invalid_grant", "error_description"}``;
- every data call: ``Authorization: Bearer``; a missing, unknown or timed-out session is
  ``401 [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]``;
- ``GET /services/data/vXX.X/query?q=``: ``{totalSize, done, records, nextRecordsUrl}``,
  each record with ``attributes {type, url}``; batches of 2,000 by default,
  ``Sforce-Query-Options: batchSize=`` 200 to 2,000; the next batch at
  ``nextRecordsUrl`` (``/services/data/vXX.X/query/<locator>-<offset>``); a query it cannot
  read is ``400 [{"message", "errorCode": "MALFORMED_QUERY"}]``;
- ``PATCH /services/data/vXX.X/composite/sobjects/<SObject>/<ExtIdField>`` with
  ``{allOrNone, records}``: at most 200 records, each with ``attributes.type`` equal to the
  SObject; HTTP 200 with one ``{id, success, created, errors}`` per record in order; a
  refused record has ``errors: [{statusCode, message, fields}]`` (REQUIRED_FIELD_MISSING,
  FIELD_CUSTOM_VALIDATION_EXCEPTION, INVALID_FIELD for a reference not found), the others
  are saved unless ``allOrNone`` is true (then all roll back, ALL_OR_NONE_OPERATION_ROLLED_BACK).

The sandbox's choices: the SOQL it reads is what the hub sends (``SELECT <fields> FROM
<object>`` with ``AND``-ed comparisons on one dateTime field and ``ORDER BY`` it); the
instance URL is the sandbox's own base URL; a query locator lives until it is read out.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from starlette.requests import Request

from synchub.sandbox.kit.http import Reply, VendorAPI
from synchub.sandbox.kit.registry import System
from synchub.sandbox.kit.routes import Call, Route
from synchub.sandbox.salesforce.store import PREFIXES, REQUIRED, RULE_MESSAGE, SalesforceStore

BASE = "/salesforce/{store}"
DATA = BASE + "/services/data/{version}"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LOGIN_HOSTS = ("https://login.salesforce.com", "https://test.salesforce.com")
MAX_COLLECTION = 200
_SOQL = re.compile(r"(?is)^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
                   r"(?:\s+WHERE\s+(?P<where>.+?))?"
                   r"(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+(?P<dir>ASC|DESC))?)?\s*$")
_COMPARISON = re.compile(r"^\(?\s*(\w+)\s*(>=|<=|>|<|=)\s*([\w:.+-]+)\s*\)?$")


def refuse(status: int, code: str, message: str) -> Reply:
    """Salesforce's REST error body: a list of ``{message, errorCode}``."""
    return Reply(status, [{"message": message, "errorCode": code}])


def oauth_refuse(error: str, description: str) -> Reply:
    """The token endpoint's OAuth error body."""
    return Reply(400, {"error": error, "error_description": description})


class SalesforceAPI(VendorAPI):
    """Bearer sessions that time out; the token endpoint is open."""

    def error_reply(self, store: Any, status: int) -> Reply:
        """An injected fault in Salesforce's error shape."""
        if status == 503:
            return refuse(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable")
        return refuse(status, "UNKNOWN_EXCEPTION", "An unexpected error occurred.")

    def authenticate(self, store: Any, request: Request) -> Reply | None:
        """A live session for every call but the token request."""
        if request.url.path.endswith("/services/oauth2/token"):
            return None
        header = request.headers.get("authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        with store.lock:
            if token and store.session_valid(token):
                return None
        return refuse(401, "INVALID_SESSION_ID", "Session expired or invalid")


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _instance(store: SalesforceStore, call: Call) -> str:
    return str(call.request.base_url).rstrip("/") + f"/salesforce/{store.name}"


def token(store: SalesforceStore, call: Call) -> Reply:
    """``POST /services/oauth2/token``: the JWT bearer or refresh token grant."""
    form = {k: v[0] for k, v in parse_qs(call.body.decode("utf-8", "replace")).items()}
    grant = form.get("grant_type", "")
    if grant == JWT_GRANT:
        problem = _check_assertion(store, call, form.get("assertion", ""))
    elif grant == "refresh_token":
        problem = _check_refresh(store, form)
    else:
        return oauth_refuse("unsupported_grant_type", "grant type not supported")
    if problem is not None:
        return problem
    access = store.open_session()
    issued = int(store.now() * 1000)
    return Reply(200, {"access_token": access, "instance_url": _instance(store, call),
                       "id": f"{_instance(store, call)}/id/00D/005", "token_type": "Bearer",
                       "scope": "api", "issued_at": str(issued)})


def _check_assertion(store: SalesforceStore, call: Call, assertion: str) -> Reply | None:
    parts = assertion.split(".")
    if len(parts) != 3:
        return oauth_refuse("invalid_grant", "invalid assertion")
    try:
        header, claims = json.loads(_b64(parts[0])), json.loads(_b64(parts[1]))
        signature = _b64(parts[2])
    except ValueError:
        return oauth_refuse("invalid_grant", "invalid assertion")
    if not isinstance(header, dict) or header.get("alg") != "RS256" \
            or not isinstance(claims, dict):
        return oauth_refuse("invalid_grant", "invalid assertion")
    try:
        store.public_key.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"),
                                padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return oauth_refuse("invalid_grant", "invalid assertion")
    if claims.get("iss") != store.client_id:
        return oauth_refuse("invalid_client_id", "client identifier invalid")
    audiences = (*LOGIN_HOSTS, _instance(store, call))
    if claims.get("aud") not in audiences:
        return oauth_refuse("invalid_grant", "audience is invalid")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= store.now():
        return oauth_refuse("invalid_grant", "expired authorization code")
    if claims.get("sub") != store.username:
        return oauth_refuse("invalid_grant", "user hasn't approved this consumer")
    return None


def _check_refresh(store: SalesforceStore, form: dict[str, str]) -> Reply | None:
    if form.get("client_id") != store.client_id:
        return oauth_refuse("invalid_client_id", "client identifier invalid")
    if "client_secret" in form and form["client_secret"] != store.client_secret:
        return oauth_refuse("invalid_client", "invalid client credentials")
    if form.get("refresh_token") != store.refresh_token:
        return oauth_refuse("invalid_grant", "expired access/refresh token")
    return None


# --- SOQL -----------------------------------------------------------------------------------
def _when(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _conditions(where: str | None) -> list[tuple[str, str, Any]] | None:
    """The ``AND``-ed comparisons of a WHERE clause (None: one it cannot read)."""
    if not where:
        return []
    out: list[tuple[str, str, Any]] = []
    for part in re.split(r"(?i)\s+AND\s+", where.strip()):
        m = _COMPARISON.match(part.strip())
        if m is None:
            return None
        field, op, raw = m.groups()
        value: Any = {"true": True, "false": False}.get(raw.lower(), _when(raw))
        if value is None:
            return None
        out.append((field, op, value))
    return out


def _matches(row: dict[str, Any], conditions: list[tuple[str, str, Any]]) -> bool:
    for field, op, want in conditions:
        have: Any = row.get(field)
        if isinstance(want, datetime):
            have = _when(str(have)) if have else None
            if have is None:
                return False
        ok = {">=": have >= want, "<=": have <= want, ">": have > want, "<": have < want,
              "=": have == want}[op] if not isinstance(want, bool) else (
            op == "=" and bool(have) == want)
        if not ok:
            return False
    return True


def _render(row: dict[str, Any], sobject: str, fields: list[str], version: str
            ) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": {
        "type": sobject, "url": f"/services/data/{version}/sobjects/{sobject}/{row['Id']}"}}
    for f in fields:
        out[f] = row.get(f)
    return out


def query(store: SalesforceStore, call: Call) -> Reply:
    """``GET /query?q=``: the first batch and a locator for the rest."""
    m = _SOQL.match(call.query.get("q", ""))
    if m is None:
        return refuse(400, "MALFORMED_QUERY", "unexpected token in the query")
    sobject = m["object"]
    if sobject not in PREFIXES:
        return refuse(400, "INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
    conditions = _conditions(m["where"])
    if conditions is None:
        return refuse(400, "MALFORMED_QUERY", "unexpected token in the WHERE clause")
    fields = [f.strip() for f in m["fields"].split(",")]
    rows = [r for r in store.records[sobject].values() if _matches(r, conditions)]
    if m["order"]:
        key = m["order"]
        rows.sort(key=lambda r: (str(r.get(key) or ""), r["Id"]),
                  reverse=(m["dir"] or "").upper() == "DESC")
    version = call.path["version"]
    size = _batch_size(call.request.headers.get("sforce-query-options", ""))
    rendered = [_render(r, sobject, fields, version) for r in rows]
    locator = f"01g{len(store.locators) + 1:012d}AAA"
    store.locators[locator] = rendered
    return _batch(store, locator, 0, size, version)


def _batch_size(header: str) -> int:
    m = re.search(r"batchSize=(\d+)", header)
    return min(max(int(m[1]), 200), 2000) if m else 2000


def _batch(store: SalesforceStore, locator: str, offset: int, size: int, version: str
           ) -> Reply:
    rows = store.locators.get(locator, [])
    chunk = rows[offset:offset + size]
    done = offset + size >= len(rows)
    body: dict[str, Any] = {"totalSize": len(rows), "done": done, "records": chunk}
    if done:
        store.locators.pop(locator, None)
    else:
        body["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}-{offset + size}"
    return Reply(200, body)


def query_more(store: SalesforceStore, call: Call) -> Reply:
    """``GET /query/<locator>-<offset>``: the next batch."""
    locator, _, offset = call.path["locator"].rpartition("-")
    if locator not in store.locators or not offset.isdigit():
        return refuse(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    size = _batch_size(call.request.headers.get("sforce-query-options", ""))
    return _batch(store, locator, int(offset), size, call.path["version"])


# --- sObject Collections upsert -------------------------------------------------------------
def upsert(store: SalesforceStore, call: Call) -> Reply:
    """``PATCH /composite/sobjects/<SObject>/<ExtIdField>``."""
    sobject, ext = call.path["sobject"], call.path["field"]
    if sobject not in PREFIXES:
        return refuse(400, "INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
    try:
        body = json.loads(call.body or b"{}")
    except ValueError:
        return refuse(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list) or not records:
        return refuse(400, "INVALID_FIELD", "records is required")
    if len(records) > MAX_COLLECTION:
        return refuse(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more "
                                                "than 200 records into this call")
    for rec in records:
        if not isinstance(rec, dict) or (rec.get("attributes") or {}).get("type") != sobject:
            return refuse(400, "INVALID_FIELD", "Each record requires an attributes map "
                                                f"with type {sobject}")
    person = next((k for rec in records for k in rec if k.startswith("Person")), None)
    if sobject == "Account" and person and not store.person_accounts:
        return refuse(400, "INVALID_FIELD",
                      f"No such column '{person}' on sobject of type Account")
    results = [_check(store, sobject, ext, rec) for rec in records]
    failed = any(not r["success"] for r in results)
    if failed and body.get("allOrNone"):
        return Reply(200, [r if not r["success"] else {
            "success": False, "errors": [{"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                                          "message": "Record rolled back because not all "
                                                     "records were valid and the request "
                                                     "was using AllOrNone header",
                                          "fields": []}]} for r in results])
    out = []
    for rec, result in zip(records, results, strict=True):
        out.append(_save(store, sobject, ext, rec) if result["success"] else result)
    return Reply(200, out)


def _error(code: str, message: str, fields: list[str]) -> dict[str, Any]:
    return {"success": False, "errors": [{"statusCode": code, "message": message,
                                          "fields": fields}]}


def _check(store: SalesforceStore, sobject: str, ext: str, rec: dict[str, Any]
           ) -> dict[str, Any]:
    """A record's refusal, or ``{"success": True}`` when it may be saved."""
    if rec.get(ext) in (None, ""):
        return _error("MISSING_ARGUMENT", f"{ext} not specified", [ext])
    fields = {k: v for k, v in rec.items() if k != "attributes"}
    existing = store.find(sobject, ext, rec.get(ext))
    merged = {**(existing or {}), **fields}
    if sobject == "Order" and isinstance(merged.get("Account"), dict):
        ref = merged["Account"]
        (field, value), = ref.items() if len(ref) == 1 else ((None, None),)
        account = store.find("Account", field, value) if field else None
        if account is None:
            return _error("INVALID_FIELD", "Foreign key external ID: "
                          f"{value} not found for field {field} in entity Account", [])
        merged["AccountId"] = account["Id"]
    missing = [f for f in REQUIRED.get(sobject, ()) if merged.get(f) in (None, "")]
    if missing:
        return _error("REQUIRED_FIELD_MISSING",
                      f"Required fields are missing: [{', '.join(missing)}]", missing)
    email = merged.get("Email") or merged.get("PersonEmail")
    if sobject in ("Contact", "Account") and str(email or "").lower().endswith(".invalid"):
        return _error("FIELD_CUSTOM_VALIDATION_EXCEPTION", RULE_MESSAGE, [])
    return {"success": True}


def _save(store: SalesforceStore, sobject: str, ext: str, rec: dict[str, Any]
          ) -> dict[str, Any]:
    fields = {k: v for k, v in rec.items() if k != "attributes"}
    row = store.find(sobject, ext, rec.get(ext))
    stamp = store.stamp_time()
    created = row is None
    if row is None:
        row = {"Id": store.new_id(sobject), "CreatedDate": stamp}
        store.records[sobject][row["Id"]] = row
    if isinstance(fields.get("Account"), dict):
        ref = fields.pop("Account")
        (field, value), = ref.items()
        account = store.find("Account", field, value)
        fields["AccountId"] = account["Id"] if account else None
    row.update(fields)
    row["LastModifiedDate"] = row["SystemModstamp"] = stamp
    return {"id": row["Id"], "success": True, "errors": [], "created": created}


ROUTES = (
    Route("POST", f"{BASE}/services/oauth2/token", token),
    Route("GET", f"{DATA}/query", query),
    Route("GET", f"{DATA}/query/{{locator}}", query_more),
    Route("PATCH", f"{DATA}/composite/sobjects/{{sobject}}/{{field}}", upsert),
)
SYSTEM = System("salesforce", SalesforceStore, SalesforceAPI(), ROUTES)
