"""Webhook intake: how a system signs the webhooks it pushes, and which topics feed which stream.

``WebhookIntakeSpec`` lives in a connector file (``webhooks:``); ``WebhookSettings`` in a
hub connection (``webhooks:``), naming where its secret is kept.
"""

from __future__ import annotations

from typing import Literal

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SignatureSpec(_Model):
    """How a webhook body is signed: base64(HMAC-SHA256(secret, raw body)) in ``header``."""

    type: Literal["hmac_sha256_base64"] = "hmac_sha256_base64"
    header: str = Field(description="e.g. X-<Vendor>-Hmac-Sha256")


class ConcatDigestSignatureSpec(_Model):
    """A digest over parts joined without separators, lower-case hex in ``header``.

    E.g. ``md5(client_id + raw body + secret)``: ``client_id`` is a field of the
    connection's own Airflow Connection, ``secret`` the webhook secret.
    """

    type: Literal["concat_digest"]
    header: str = Field(description="The header holding the hex digest.")
    algorithm: Literal["md5", "sha256"] = "md5"
    parts: list[Literal["client_id", "body", "secret"]] = Field(
        default=["client_id", "body", "secret"], min_length=1,
        description="What is concatenated, in order (body: the raw bytes received).")
    client_id_field: str = Field(default="login", description="Connection field holding "
                                 "the client id (of the connection's own conn_id).")

    @model_validator(mode="after")
    def _signs_the_body(self) -> ConcatDigestSignatureSpec:
        if "body" not in self.parts or "secret" not in self.parts:
            raise ValueError("parts must include body and secret")
        return self


class RegisteredVerifierSpec(_Model):
    """A push verified and read by a registered verifier (kind ``webhook_verifier``).

    For systems whose pushes are not an HMAC header over the body: the verifier checks the
    delivery with the connection's secret and says its topic and event id (from the body,
    the query or headers), and what the system expects as the answer.
    """

    type: Literal["registered"]
    verifier: str = Field(description="A registered webhook verifier (kind webhook_verifier).")


class RefreshSpec(_Model):
    """The body names records of a store-fed stream by their input keys: re-read them.

    The records come from the same requests a poll makes (``_input`` tags included), for
    the inputs the stream's source finds open now whose key the body names; a key that is
    not open (unknown to the hub, or final) is left alone.
    """

    keys: str = Field(description="JMESPath of the named keys in the body (a list or one).")


class DeleteSpec(_Model):
    """A topic that says records were deleted at the source: the body names them.

    The hub marks them deleted (docs/feeds.md, "Deletions"): feeds and exports then serve
    their tombstones.
    """

    entity: str = Field(description="Canonical entity of the deleted records, e.g. order.")
    id: str = Field(default="id", description="JMESPath of the deleted id in the body.")
    match: str | None = Field(
        default=None, pattern=r"^[a-z_]+(\.[a-z_]+)*$",
        description="Document field the id is compared with (a dotted path, e.g. "
                    "parent.external_id, to delete every variant of a product); default: "
                    "the record's external_id.")


class TopicSpec(_Model):
    """What the hub does with one topic: which stream's mappings read the body.

    With ``fetch``, the body only names the record: the hub re-reads it from the API
    (``{field}`` placeholders are filled from the body) and maps what it gets back. With
    ``delete``, the body names records deleted at the source: nothing is mapped, they are
    marked deleted (when ``stream`` is enabled for the connection).
    """

    stream: str = Field(description="Connector stream whose mappings read the record.")
    refresh: RefreshSpec | None = Field(
        default=None, description="The body only names records of a store-fed stream: "
                                  "re-read them through it (not with fetch or delete).")
    fetch: str | None = Field(default=None, description="Path of the record to re-read, "
                              "e.g. /admin/api/2025-07/orders/{order_id}.json")
    select: str | None = Field(default=None, description="JMESPath of the record in the "
                               "fetched answer.")
    delete: DeleteSpec | None = Field(default=None, description="The topic reports "
                                      "deletions (not with fetch).")
    body_field: str | None = Field(
        default=None, description="The record is the text of this top-level body field "
                                  "(decoded as body_field_format) rather than the body.")
    body_field_format: Literal["json", "urlencoded_json"] = Field(
        default="json", description="urlencoded_json: URL-encoded (UTF-8) JSON text.")

    @model_validator(mode="after")
    def _delete_alone(self) -> TopicSpec:
        if self.delete is not None and (self.fetch is not None or self.select is not None):
            raise ValueError("a delete topic names its records in the body: drop fetch/select")
        if self.refresh is not None and (self.fetch is not None or self.delete is not None):
            raise ValueError("a refresh topic re-reads through its stream: drop fetch/delete")
        return self


class WebhookIntakeSpec(_Model):
    """The ``webhooks:`` section of a connector file."""

    signature: SignatureSpec | ConcatDigestSignatureSpec | RegisteredVerifierSpec
    id_header: str | None = Field(
        default=None, description="Header with the delivery's unique id (dedupe key).")
    id_path: str | None = Field(
        default=None, description="Instead of id_header: a JMESPath into the JSON body "
                                  "giving the event's unique id, e.g. "
                                  "join('/', [type, to_string(id), to_string(version)]).")
    topic_header: str | None = Field(
        default=None, description="Header naming the topic, e.g. X-<Vendor>-Topic; "
                                  "required unless a registered verifier names the topic.")
    topics: dict[str, TopicSpec] = Field(min_length=1)
    ping_topics: list[str] = Field(default_factory=list, description="Topics that only "
                                   "test the endpoint; answered 200 and not stored.")
    ping_when: str | None = Field(
        default=None, description="A JMESPath on the signed JSON body; when it is true the "
                                  "delivery only tests the endpoint (answered 200, not "
                                  "stored), e.g. test.")
    ack_body: dict[str, str | int | bool] = Field(
        default_factory=dict, description="Fields added to every 200 answer, for vendors "
                                          "that read an acknowledgement (e.g. code: 0).")
    ping_form_field: str | None = Field(
        default=None, description="An unsigned form body made of only this field and a "
                                  "number is the system's ping (e.g. webhook_id=<n> sent "
                                  "when a webhook is created); answered 200, "
                                  "not stored.")
    keep_headers: list[str] = Field(
        default_factory=list, description="Headers kept with the stored event besides the "
                                          "topic and id (never the signature).")

    @model_validator(mode="after")
    def _ids_and_topics(self) -> WebhookIntakeSpec:
        if not isinstance(self.signature, RegisteredVerifierSpec):
            # a registered verifier says the topic and the event id itself
            if (self.id_header is None) == (self.id_path is None):
                raise ValueError("give exactly one of id_header and id_path (the dedupe key)")
            if self.topic_header is None:
                raise ValueError("topic_header is required unless a registered verifier "
                                 "names the topic")
        for key in ("id_path", "ping_when"):
            expression = getattr(self, key)
            if expression is not None:
                try:
                    jmespath.compile(expression)
                except JMESPathError as exc:
                    raise ValueError(f"{key}: invalid JMESPath expression: {exc}") from None
        return self


class WebhookSettings(_Model):
    """The ``webhooks:`` section of a hub connection."""

    enabled: bool = True
    secret_conn_id: str | None = Field(
        default=None, description="Airflow Connection whose password is the signing secret "
                                  "(default: the connection's own conn_id, extra "
                                  "'webhook_secret').")
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024,
                                description="Larger bodies are refused with 413.")
