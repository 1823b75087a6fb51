"""The ``http`` writer: a plain REST write-back declared in the connector, no Python.

A route whose sink takes a JSON body per record (or a list of them) needs only YAML::

    writers:
      parcels:
        type: http
        entity: shipment
        mapping: parcels                 # mappings/<system>/parcels.export.yaml -> the body
        path: /trackings                 # {remote_id} and {document.<field>} may appear
        batch_size: 1
        options:
          method: POST
          require: [tracking_number]     # without one, the record is skipped (said why)
          id_path: "data.tracking.id"    # where the created id is in the answer
          code_path: meta.code           # the vendor's error code and message in a refusal
          message_path: meta.message
          exists:                        # a refusal that means "already there": skipped
            status: [400, 409]
            codes: [4003]
            id_path: data.id

A record the sink already holds (the hub has its ``remote_id``) is written with ``update``
(method and path), or skipped when the route declares none. A create is sent once (see
:meth:`synchub.runtime.http.HttpClient.request`: a timeout is not re-sent blindly, the
delivery is retried later) unless a re-send cannot make a second record: when
``idempotency_header`` names a header that carries the delivery's idempotency key, or
when ``exists`` says how the sink refuses a duplicate. With
``batch_size`` above 1 the bodies go in one call (a bare list, or under ``batch_key``)
and ``results_path`` says where the per-item answers are, in item order; ``error_path``
in an answer item marks that item refused with that message.

What this writer cannot say (a lookup before writing, several calls per record, GraphQL)
stays in a system's own Python writer; docs/delivery.md lists which writers are which.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import quote

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from synchub.delivery.base import DeliveryItem, DeliveryResult, SinkWriter, settle_batch
from synchub.errors import ConfigError, FatalAPIError, RetriableAPIError

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)\}")


def _jmespath(value: str | None) -> str | None:
    if value is not None:
        try:
            jmespath.compile(value)
        except JMESPathError as exc:
            raise ValueError(f"invalid JMESPath expression: {exc}") from None
    return value


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UpdateSpec(_Options):
    """How a record the sink already holds is written again."""

    method: Literal["PUT", "PATCH", "POST"] = "PUT"
    path: str = Field(description="Path template, e.g. /items/{remote_id}.")


class ExistsSpec(_Options):
    """A refusal that means the sink holds the record already: answered ``skipped``."""

    status: list[int] = Field(default_factory=lambda: [409], min_length=1)
    codes: list[int | str] = Field(
        default_factory=list, description="Vendor codes (at code_path) meaning 'exists'; "
                                          "any refusal with the status, when empty.")
    id_path: str | None = Field(default=None, description="JMESPath of the existing id.")

    @field_validator("id_path")
    @classmethod
    def _check_paths(cls, value: str | None) -> str | None:
        return _jmespath(value)


class HttpWriteOptions(_Options):
    """``writers.<route>.options`` of an ``http`` writer."""

    method: Literal["POST", "PUT", "PATCH"] = "POST"
    update: UpdateSpec | None = Field(
        default=None, description="Write a record the sink already holds; null: skip it.")
    require: list[str] = Field(
        default_factory=list, description="Document fields that must be non-empty; a record "
                                          "without one is skipped with the reason.")
    idempotency_header: str | None = Field(
        default=None, description="Header carrying the delivery's idempotency key.")
    id_path: str | None = Field(
        default=None, description="JMESPath of the created id in the answer (or answer item).")
    batch_key: str | None = Field(
        default=None, description="With batch_size > 1: the key the list of bodies goes "
                                  "under; null sends a bare list.")
    results_path: str | None = Field(
        default=None, description="With batch_size > 1: JMESPath of the per-item answers.")
    error_path: str | None = Field(
        default=None, description="JMESPath in an answer item; a value means refused.")
    code_path: str | None = Field(
        default=None, description="JMESPath of the vendor's error code in a refusal.")
    message_path: str | None = Field(
        default=None, description="JMESPath of the vendor's error message in a refusal.")
    exists: ExistsSpec | None = None

    @field_validator("id_path", "results_path", "error_path", "code_path", "message_path")
    @classmethod
    def _check_paths(cls, value: str | None) -> str | None:
        return _jmespath(value)


class HttpWriter(SinkWriter):
    """Sends each record's write mapping (or canonical document) as a JSON body."""

    options_model = HttpWriteOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.client is None:
            raise ConfigError(f"sink {self.sink!r}: the http writer needs the sink's "
                              "connector client", key="writers.type")
        if self.spec.path is None:
            raise ConfigError(f"sink {self.sink!r}: an http writer needs path",
                              key=f"writers.{self.spec.entity}.path")
        opts: HttpWriteOptions = self.options
        if self.spec.batch_size > 1 and opts.update is not None:
            raise ConfigError("an http writer with batch_size > 1 cannot declare update",
                              key="writers.options.update")
        self._compiled = {name: jmespath.compile(expr) for name, expr in (
            ("id", opts.id_path), ("results", opts.results_path), ("error", opts.error_path),
            ("code", opts.code_path), ("message", opts.message_path),
            ("exists_id", opts.exists.id_path if opts.exists else None)) if expr}
        if opts.exists is not None and opts.exists.codes and opts.code_path is None:
            raise ConfigError("exists.codes needs code_path (where the code is)",
                              key="writers.options.exists.codes")

    def write(self, items: Sequence[DeliveryItem]) -> list[DeliveryResult]:
        """Skip what needs no call, send the rest one by one or as one batch."""
        results: list[DeliveryResult | None] = [self._skip(item) for item in items]
        todo = [i for i, r in enumerate(results) if r is None]
        if self.spec.batch_size > 1 and todo:
            batch = [items[i] for i in todo]
            for i, result in zip(todo, settle_batch(batch, lambda out: self._batch(batch, out)),
                                 strict=True):
                results[i] = result
        else:
            for i in todo:
                results[i] = self._one(items[i])
        return [r for r in results if r is not None]

    def _skip(self, item: DeliveryItem) -> DeliveryResult | None:
        missing = [f for f in self.options.require if item.document.get(f) in (None, "", [])]
        if missing:
            return DeliveryResult(item.delivery_id, "skipped", error=(
                f"{item.entity} {item.record_id} has no {', '.join(missing)}"))
        if item.remote_id and self.options.update is None:
            return DeliveryResult(item.delivery_id, "skipped", remote_id=item.remote_id)
        return None

    def _body(self, item: DeliveryItem) -> Any:
        return item.payload if item.payload is not None else item.document

    def _url(self, template: str, item: DeliveryItem | None) -> str:
        assert self.client is not None

        def fill(m: re.Match[str]) -> str:
            name = m[1]
            value: Any = None
            if item is not None and name == "remote_id":
                value = item.remote_id
            elif item is not None and name.startswith("document."):
                value = item.document.get(name[9:])
            if value in (None, ""):
                raise ConfigError(f"path {template!r}: no value for {{{name}}}",
                                  key="writers.path")
            return quote(str(value), safe="")

        return self.client.base_url + _PLACEHOLDER.sub(fill, template)

    def _send(self, method: str, url: str, body: Any, keys: list[str]) -> Any:
        assert self.client is not None
        header = self.options.idempotency_header
        headers = {header: ":".join(keys)} if header else None
        # a re-sent create makes a second record unless a key or the sink's refusal stops it
        once = method == "POST" and header is None and self.options.exists is None
        _, answer = self.client.http.request("rest", method, url, json=body, headers=headers,
                                             once=once)
        return answer

    def _one(self, item: DeliveryItem) -> DeliveryResult:
        update = self.options.update if item.remote_id else None
        assert self.spec.path is not None
        method = update.method if update else self.options.method
        try:
            url = self._url(update.path if update else self.spec.path, item)
        except ConfigError as exc:  # this record lacks what the path needs
            return DeliveryResult(item.delivery_id, "failed",
                                  error=f"{item.entity} {item.record_id}: {exc.message}")
        try:
            answer = self._send(method, url, self._body(item), [item.idempotency_key])
        except RetriableAPIError as exc:
            return DeliveryResult(item.delivery_id, "retry", error=exc.message,
                                  retry_after=exc.retry_after)
        except FatalAPIError as exc:
            return self._refused(item, exc)
        return self._answered(item, answer)

    def _batch(self, items: list[DeliveryItem], out: dict[int, DeliveryResult]) -> None:
        assert self.spec.path is not None
        bodies = [self._body(i) for i in items]
        body = {self.options.batch_key: bodies} if self.options.batch_key else bodies
        answer = self._send(self.options.method, self._url(self.spec.path, None), body,
                            [i.idempotency_key for i in items])
        found = self._compiled["results"].search(answer) if "results" in self._compiled \
            else None
        if not isinstance(found, list) or len(found) != len(items):
            for item in items:  # no per-item answers: the call as a whole succeeded
                out[item.delivery_id] = DeliveryResult(item.delivery_id, "delivered",
                                                       remote_id=item.remote_id)
            return
        for item, part in zip(items, found, strict=True):
            out[item.delivery_id] = self._answered(item, part)

    def _answered(self, item: DeliveryItem, answer: Any) -> DeliveryResult:
        error = self._compiled["error"].search(answer) if "error" in self._compiled else None
        if error not in (None, "", [], {}):
            return DeliveryResult(item.delivery_id, "failed", error=(
                f"{item.entity} {item.record_id}: the sink refused it: {str(error)[:300]}"))
        remote = self._compiled["id"].search(answer) if "id" in self._compiled else None
        return DeliveryResult(item.delivery_id, "delivered",
                              remote_id=str(remote) if remote is not None else item.remote_id)

    def _refused(self, item: DeliveryItem, exc: FatalAPIError) -> DeliveryResult:
        exists = self.options.exists
        body = _json(exc.body)
        code = self._compiled["code"].search(body) if "code" in self._compiled else None
        if exists is not None and exc.status in exists.status \
                and (not exists.codes or code in exists.codes):
            remote = (self._compiled["exists_id"].search(body)
                      if "exists_id" in self._compiled else None)
            return DeliveryResult(item.delivery_id, "skipped",
                                  remote_id=str(remote) if remote else item.remote_id)
        said = self._compiled["message"].search(body) if "message" in self._compiled else None
        detail = "".join([f", code {code}" if code is not None else "",
                          f": {str(said)[:300]}" if said else ""])
        return DeliveryResult(item.delivery_id, "failed", error=(
            f"{item.entity} {item.record_id}: {exc.message}{detail}"))


def _json(text: str | None) -> Any:
    """A refusal's body as JSON (None when it is not)."""
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None
