"""The UPS and FedEx simulators' refusals: credentials at the token endpoint, lapsed tokens,
UPS's required headers and number length, FedEx's 30-number limit, not-found answers."""

from __future__ import annotations

import requests

from synchub.sandbox import Sandbox, SandboxServer


def _ups_token(http: requests.Session, base: str, sandbox: Sandbox) -> str:
    creds = sandbox.store("ups", "demo").credentials()
    resp = http.post(f"{base}/security/v1/oauth/token", data={"grant_type": "client_credentials"},
                     auth=(creds["client_id"], creds["client_secret"]))
    assert resp.status_code == 200 and resp.json()["expires_in"] == "14399"
    return str(resp.json()["access_token"])


def test_ups(http: requests.Session, server: SandboxServer, sandbox: Sandbox) -> None:
    sandbox.store("ups", "demo").rate_limits = False
    base = server.url("ups", "demo")
    bad = http.post(f"{base}/security/v1/oauth/token", data={"grant_type": "client_credentials"},
                    auth=("ups_client_demo", "wrong"))
    assert bad.status_code == 401 and bad.json()["response"]["errors"][0]["code"]
    token = _ups_token(http, base, sandbox)
    url = f"{base}/api/track/v1/details/1Z023E2X0214323462"
    auth = {"Authorization": f"Bearer {token}"}
    assert http.get(url, headers=auth).status_code == 400                 # no transId
    assert http.get(url, headers={**auth, "transId": "x" * 33,
                                  "transactionSrc": "t"}).status_code == 400
    ok = http.get(url, headers={**auth, "transId": "a1", "transactionSrc": "t"})
    package = ok.json()["trackResponse"]["shipment"][0]["package"][0]
    assert {"date", "time", "gmtDate", "gmtTime", "gmtOffset"} <= set(package["activity"][0])
    short = f"{base}/api/track/v1/details/1Z12"
    assert http.get(short, headers={**auth, "transId": "a2",
                                    "transactionSrc": "t"}).status_code == 400
    sandbox.store("ups", "demo").set_status("1Z023E2X0214323462", "not_found")
    gone = http.get(url, headers={**auth, "transId": "a3", "transactionSrc": "t"})
    assert gone.status_code == 404
    assert gone.json()["response"]["errors"][0]["code"] == "TW0001"
    sandbox.store("ups", "demo").expire_tokens()
    assert http.get(url, headers={**auth, "transId": "a4",
                                  "transactionSrc": "t"}).status_code == 401


def test_fedex(http: requests.Session, server: SandboxServer, sandbox: Sandbox) -> None:
    store = sandbox.store("fedex", "demo")
    store.rate_limits = False
    base = server.url("fedex", "demo")
    creds = store.credentials()
    assert http.post(f"{base}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": creds["client_id"],
        "client_secret": "wrong"}).status_code == 401
    token = http.post(f"{base}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": creds["client_id"],
        "client_secret": creds["client_secret"]}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}

    def ask(n: int) -> requests.Response:
        info = [{"trackingNumberInfo": {"trackingNumber": f"79484318{i:04d}"}} for i in range(n)]
        return http.post(f"{base}/track/v1/trackingnumbers", headers=auth,
                         json={"includeDetailedScans": True, "trackingInfo": info})

    assert ask(0).status_code == 400 and ask(31).status_code == 400
    store.set_status("794843180001", "not_found")
    results = ask(30).json()["output"]["completeTrackResults"]
    assert len(results) == 30
    assert results[1]["trackResults"][0]["error"]["code"] == "TRACKING.TRACKINGNUMBER.NOTFOUND"
    assert results[0]["trackResults"][0]["latestStatusDetail"]["code"]
    store.expire_tokens()
    expired = ask(1)
    assert expired.status_code == 401 and expired.json()["errors"][0]["code"] == \
        "NOT.AUTHORIZED.ERROR"
