"""The JWT bearer assertion: RS256 known answers from RFC 7515 appendix A.2, and the
assertion's structure as Salesforce's JWT bearer flow takes it."""

from __future__ import annotations

import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from synchub.systems.salesforce.assertion import (
    b64url_decode,
    jwt_assertion,
    load_private_key,
    sign_rs256,
)

# RFC 7515 appendix A.2: the RSA key (n, e, d as base64url) and the example JWS
N = ("ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1"
     "Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpa"
     "SHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4"
     "LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ")
E = "AQAB"
D = ("Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwV"
     "ol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzj"
     "kn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaF"
     "QT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ")
JWS = ("eyJhbGciOiJSUzI1NiJ9"
       ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
       ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8"
       "W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPv"
       "kSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phC"
       "nvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw")


def _int(text: str) -> int:
    return int.from_bytes(b64url_decode(text), "big")


def rfc_key() -> rsa.RSAPrivateKey:
    n, e, d = _int(N), _int(E), _int(D)
    p, q = rsa.rsa_recover_prime_factors(n, e, d)
    numbers = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                    rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, n))
    return numbers.private_key()


def test_rs256_signature_equals_rfc_7515_a2() -> None:
    header, payload, signature = JWS.split(".")
    assert sign_rs256(f"{header}.{payload}".encode("ascii"), rfc_key()) == signature


def test_rfc_7515_a2_signature_verifies_and_a_changed_input_does_not() -> None:
    header, payload, signature = JWS.split(".")
    public = rfc_key().public_key()
    public.verify(b64url_decode(signature), f"{header}.{payload}".encode(),
                  padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        public.verify(b64url_decode(signature), f"{header}.{payload}x".encode(),
                      padding.PKCS1v15(), hashes.SHA256())


def test_assertion_has_salesforce_claims_and_verifies_with_the_certificate_key() -> None:
    key = rfc_key()
    token = jwt_assertion(client_id="3MVG9consumer", username="int@example.org",
                          audience="https://login.salesforce.com", issued_at=1_750_000_000.7,
                          lifetime=180, key=key)
    header, claims, signature = token.split(".")
    assert json.loads(b64url_decode(header)) == {"alg": "RS256"}
    assert json.loads(b64url_decode(claims)) == {
        "iss": "3MVG9consumer", "sub": "int@example.org",
        "aud": "https://login.salesforce.com", "exp": 1_750_000_180}
    key.public_key().verify(b64url_decode(signature), f"{header}.{claims}".encode(),
                            padding.PKCS1v15(), hashes.SHA256())
    # deterministic: the same input signs to the same assertion
    assert token == jwt_assertion(client_id="3MVG9consumer", username="int@example.org",
                                  audience="https://login.salesforce.com",
                                  issued_at=1_750_000_000, lifetime=180, key=key)


def test_a_key_that_is_not_pem_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="not an unencrypted PEM key"):
        load_private_key("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----")
