"""File streams: records read from CSV, TSV, JSON or JSON Lines files in a folder or bucket.

The Connection's ``host`` names the location: a local folder (``/data/settlements``,
``file:///data/settlements``) or any fsspec URL (``s3://bucket/reports``). Credentials come
from the Connection by name only (:data:`STORAGE_OPTIONS`), never by spreading ``extra``
into the filesystem. The stream's ``path`` glob selects the files, read in the order of
(modified time, name); each record gains ``_file`` and ``_line``.

Pages never span files: a file's last page carries the state that counts the file as
read, so a run stopped inside a file reads that file again next time (its records are
upserted again, unchanged ones skipped) and never skips one. With ``incremental`` the state
is the newest modified time read plus the names read at that time: a new file is read, a
file replaced with new content (a newer modified time) is read again, an older one never.

A row that cannot be read (a CSV row with the wrong number of fields, a line that is not
JSON or is nested deeper than the JSON parser follows, bytes that are not in the declared
encoding) becomes a record holding only
``_file``, ``_line``, ``_error`` and ``_text``: no mapping can find an id in it, so it is
dead-lettered with its place in the file while the other rows go through.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import fsspec
import jmespath

from synchub.errors import ConfigError, FatalAPIError, register_secret, safe_url
from synchub.runtime.classify import too_deep
from synchub.runtime.incremental import format_cursor, parse_cursor
from synchub.runtime.transport import Page, Transport

if TYPE_CHECKING:
    from synchub.config.connector_files import FileStreamSpec
    from synchub.runtime.client import ConnectorClient
    from synchub.runtime.connection import ConnectionInfo

log = logging.getLogger("synchub.runtime.files")

# fsspec options read from the Connection's extra, per protocol; nothing else is passed on
STORAGE_OPTIONS: dict[str, tuple[str, ...]] = {
    "s3": ("key", "secret", "token", "endpoint_url", "profile", "anon"),
    "gcs": ("token", "project"),
    "abfs": ("account_name", "account_key", "sas_token", "connection_string", "tenant_id",
             "client_id", "client_secret", "anon"),
    "sftp": ("username", "password", "port"),
    "ftp": ("username", "password", "port"),
}
STORAGE_OPTIONS.update({"s3a": STORAGE_OPTIONS["s3"], "gs": STORAGE_OPTIONS["gcs"],
                        "az": STORAGE_OPTIONS["abfs"], "ssh": STORAGE_OPTIONS["sftp"]})
# the Connection's login and password stand for these options when extra does not set them
LOGIN_OPTIONS: dict[str, tuple[str, str]] = {
    "s3": ("key", "secret"), "s3a": ("key", "secret"), "sftp": ("username", "password"),
    "ssh": ("username", "password"), "ftp": ("username", "password"),
}
_SECRET_OPTIONS = frozenset({"secret", "token", "account_key", "sas_token",
                             "connection_string", "client_secret", "password"})
# where filesystems keep a file's modified time, in order of preference
_MODIFIED_KEYS = ("mtime", "LastModified", "last_modified", "updated", "modified", "created")
_TEXT_SHOWN = 500
_REPLACED = "\ufffd"   # what the decoder puts for bytes outside the encoding


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file of the location: its name relative to the location, path and modified time."""

    name: str
    path: str
    modified: datetime


def storage_options(conn: ConnectionInfo, protocol: str) -> dict[str, Any]:
    """The fsspec options of ``protocol`` taken, by name, from the Connection."""
    options: dict[str, Any] = {}
    for key in STORAGE_OPTIONS.get(protocol, ()):
        value = conn.extra.get(key)
        if value not in (None, ""):
            options[key] = value
    login = LOGIN_OPTIONS.get(protocol)
    if login is not None:
        if conn.login and login[0] not in options:
            options[login[0]] = conn.login
        if conn.password and login[1] not in options:
            options[login[1]] = conn.password
    for key, value in options.items():
        if key in _SECRET_OPTIONS and isinstance(value, str):
            register_secret(value)
    return options


def open_location(conn: ConnectionInfo) -> tuple[Any, str]:
    """The filesystem and root path of the Connection's ``host`` (a folder or an fsspec URL)."""
    host = (conn.host or "").strip()
    if not host:
        raise ConfigError(f"connection {conn.conn_id!r} has no host: set it to the folder "
                          "or URL holding the files (/data/reports, s3://bucket/reports)",
                          key="host")
    protocol = host.split("://", 1)[0] if "://" in host else "file"
    try:
        fs, root = fsspec.core.url_to_fs(host, **storage_options(conn, protocol))
    except (ImportError, ValueError) as exc:
        raise ConfigError(f"connection {conn.conn_id!r}: cannot open {host!r}: {exc}",
                          key="host") from None
    return fs, str(root).rstrip("/")


def _as_utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return parse_cursor(str(value).strip(), UTC)


def modified_time(fs: Any, path: str, info: dict[str, Any]) -> datetime:
    """A file's modified time as an aware UTC datetime (microseconds)."""
    for key in _MODIFIED_KEYS:
        value = info.get(key)
        if value not in (None, ""):
            return _as_utc(value).astimezone(UTC)
    return _as_utc(fs.modified(path)).astimezone(UTC)


def list_files(fs: Any, root: str, pattern: str) -> list[FileEntry]:
    """The files under ``root`` matching the glob ``pattern``, by (modified time, name)."""
    found = fs.glob(f"{root}/{pattern}" if root else pattern, detail=True)
    prefix = f"{root}/" if root else ""
    out = []
    for path, info in sorted(found.items()):
        if info.get("type", "file") != "file":
            continue
        name = path[len(prefix):] if path.startswith(prefix) else path.rsplit("/", 1)[-1]
        out.append(FileEntry(name, path, modified_time(fs, path, info)))
    out.sort(key=lambda f: (f.modified, f.name))
    return out


class FileCursor:
    """The newest modified time read and the names of the files read at that time."""

    def __init__(self, state: dict[str, Any] | None, stream: str) -> None:
        self.at: datetime | None = None
        self.names: list[str] = []
        raw = (state or {}).get("cursor")
        if raw:
            try:
                self.at = parse_cursor(raw, UTC)
            except ValueError as exc:
                raise ConfigError(f"stream {stream!r}: stored cursor is not a time: {exc}"
                                  ) from None
            self.names = [str(n) for n in (state or {}).get("files") or []]

    def wants(self, f: FileEntry) -> bool:
        """Whether ``f`` is newer than what was read, or as new and not read yet."""
        return self.at is None or f.modified > self.at or (
            f.modified == self.at and f.name not in self.names)

    def add(self, f: FileEntry) -> None:
        """Count ``f`` as read (files come in (modified time, name) order)."""
        if self.at is None or f.modified > self.at:
            self.at, self.names = f.modified, [f.name]
        elif f.modified == self.at and f.name not in self.names:
            self.names.append(f.name)

    def state(self) -> dict[str, Any] | None:
        """The state to store once the files counted so far are committed."""
        if self.at is None:
            return None
        return {"cursor": format_cursor(self.at), "files": sorted(self.names)}


def read_files(spec: FileStreamSpec, conn: ConnectionInfo, *, stream: str,
               state: dict[str, Any] | None = None, window_end: datetime | None = None,
               full_refresh: bool = False, now: datetime | None = None) -> Iterator[Page]:
    """Yield pages of ``spec.page_size`` records from the stream's files not read yet."""
    if window_end is not None and window_end.tzinfo is None:
        raise ConfigError(f"stream {stream!r}: window_end must be timezone-aware")
    fs, root = open_location(conn)
    inc = spec.incremental
    cursor = FileCursor(None if full_refresh or inc is None else state, stream)
    cutoff = None
    if inc is not None:
        # a file modified at the very end of the window may still be being written
        cutoff = (window_end or now or datetime.now(UTC)) - inc.safety_lag
    try:
        files = [f for f in list_files(fs, root, spec.path)
                 if cursor.wants(f) and (cutoff is None or f.modified <= cutoff)]
    except OSError as exc:
        raise FatalAPIError(f"stream {stream!r}: cannot list {spec.path!r} in "
                            f"{conn.host!r}: {exc}") from None
    log.info("stream %s: %d file(s) to read under %s", stream, len(files),
             safe_url(conn.host or ""))
    return _pages(fs, files, spec, cursor, stream, track=inc is not None)


def _pages(fs: Any, files: list[FileEntry], spec: FileStreamSpec, cursor: FileCursor,
           stream: str, *, track: bool) -> Iterator[Page]:
    number = 0
    for f in files:
        page: list[dict[str, Any]] = []
        try:
            for record in read_records(fs, f, spec):
                page.append(record)
                if len(page) >= spec.page_size:
                    number += 1
                    yield Page(page, None, number)
                    page = []
        except FileNotFoundError:
            # removed since it was listed: nothing to count as read
            log.warning("stream %s: %s disappeared while being read", stream, f.name)
            continue
        except OSError as exc:
            raise FatalAPIError(f"stream {stream!r}: cannot read {f.name!r}: {exc}") from None
        if track:
            cursor.add(f)
        if page or track:
            number += 1
            yield Page(page, cursor.state() if track else None, number)


def read_records(fs: Any, f: FileEntry, spec: FileStreamSpec) -> Iterator[dict[str, Any]]:
    """The records of one file, each with ``_file`` and ``_line``; unreadable rows flagged."""
    with fs.open(f.path, "rb", compression="infer") as raw:
        # bytes outside the encoding become U+FFFD and the row holding one is flagged:
        # one bad row, not the rest of the file
        text = io.TextIOWrapper(raw, encoding=spec.encoding, errors="replace", newline="")
        undecodable = f"holds bytes that are not valid {spec.encoding}"
        if spec.format in ("csv", "tsv"):
            yield from _csv_records(text, f.name, spec.field_delimiter, undecodable)
        elif spec.format == "jsonl":
            yield from _jsonl_records(text, f.name, undecodable)
        else:
            yield from _json_records(text, f.name, spec.record_selector or "@", undecodable)


def bad_record(name: str, line: int, problem: str, text: str = "") -> dict[str, Any]:
    """A row that could not be read: its place, the problem and (part of) its text."""
    return {"_file": name, "_line": line, "_error": problem, "_text": text[:_TEXT_SHOWN]}


def _csv_records(text: io.TextIOWrapper, name: str, delimiter: str, undecodable: str
                 ) -> Iterator[dict[str, Any]]:
    reader = csv.reader(text, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        return
    keys = [h.strip() for h in header]
    n = 0
    while True:
        n += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield bad_record(name, n, f"is not a valid row: {exc}")
            continue
        joined = delimiter.join(row)
        if not joined.replace(delimiter, "").strip():
            continue  # a blank row still counts, so later rows keep their numbers
        if _REPLACED in joined:
            yield bad_record(name, n, undecodable, joined)
            continue
        if len(row) != len(keys):
            yield bad_record(name, n, f"has {len(row)} fields, the header {len(keys)}",
                             joined)
            continue
        rec: dict[str, Any] = dict(zip(keys, row, strict=True))
        rec["_file"], rec["_line"] = name, n
        yield rec


def _jsonl_records(text: io.TextIOWrapper, name: str, undecodable: str
                   ) -> Iterator[dict[str, Any]]:
    for n, line in enumerate(text, start=1):
        if not line.strip():
            continue
        if _REPLACED in line:
            yield bad_record(name, n, undecodable, line.rstrip("\r\n"))
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            yield bad_record(name, n, f"is not JSON: {exc}", line.rstrip("\r\n"))
            continue
        except RecursionError:
            yield bad_record(name, n, f"is {too_deep(line.encode())}", line.rstrip("\r\n"))
            continue
        if not isinstance(obj, dict):
            yield bad_record(name, n, f"is a JSON {type(obj).__name__}, not an object",
                             line.rstrip("\r\n"))
            continue
        obj["_file"], obj["_line"] = name, n
        yield obj


def _json_records(text: io.TextIOWrapper, name: str, selector: str, undecodable: str
                  ) -> Iterator[dict[str, Any]]:
    raw = text.read()
    replaced = _REPLACED in raw    # then find the items holding the bad bytes
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        yield bad_record(name, exc.lineno, f"is not JSON: {exc}")
        return
    except RecursionError:  # line 0: the file as a whole
        yield bad_record(name, 0, f"is {too_deep(raw.encode())}")
        return
    items = jmespath.search(selector, doc) if selector != "@" else doc
    if items is None:
        return
    if not isinstance(items, list):
        # line 0: the problem is the file as a whole
        yield bad_record(name, 0, f"record_selector {selector!r} gives a "
                                  f"{type(items).__name__}, not a list")
        return
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            yield bad_record(name, n, f"is a JSON {type(item).__name__}, not an object",
                             json.dumps(item)[:_TEXT_SHOWN])
            continue
        if replaced and _REPLACED in (shown := json.dumps(item, ensure_ascii=False)):
            yield bad_record(name, n, undecodable, shown)
            continue
        item["_file"], item["_line"] = name, n
        yield item


class FileTransport(Transport):
    """The ``file`` transport: a stream's pages are read from files, not requests."""

    name = "file"

    def pages(self, client: ConnectorClient, name: str, spec: Any,
              state: dict[str, Any] | None, window_end: datetime | None,
              full_refresh: bool, values: dict[str, Any] | None = None) -> Iterator[Page]:
        """The files' pages; the location is the Connection's host."""
        return read_files(spec, client.conn, stream=name, state=state,
                          window_end=window_end, full_refresh=full_refresh)


FILE = FileTransport()
