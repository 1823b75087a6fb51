"""The reconciliation report as files: ``<to>/<day>.csv`` and ``<to>/<day>.html``.

``to`` (``ledger.reports.to``) is a folder relative to hub.yaml or any fsspec URL
(``file://``, ``s3://``, ``memory://``). Each file is written under a temporary name and
moved into place, so a reader never sees half a report; writing a day again replaces its
files. Counts are whole numbers; amounts (metrics named ``*_amount``) carry their
currency's decimals.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from synchub.feeds.ledger_views import figure_text, is_amount

if TYPE_CHECKING:
    from synchub.config.ledger import ReportsConfig
    from synchub.ledger.reconcile import ReconciliationReport, ReconRow

COLUMNS = ("day", "channel", "metric", "currency", "channel_value", "hub_value", "erp_value",
           "difference", "status", "detail")
ATTENTION = ("mismatch", "missing", "error")
_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:0 0 2em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.attention{background:#fde2e1}
tr.attention td.status{color:#a40000;font-weight:bold}
.verdict.bad{color:#a40000}"""


def report_url(to: str, root: Path | str) -> str:
    """A report target as a URL: a plain folder is taken relative to ``root`` (hub.yaml's)."""
    if "://" in to:
        return to
    return str((Path(root) / to).resolve())


def _figures(row: ReconRow) -> list[str]:
    currency = row.currency if is_amount(row.metric) else ""
    return [figure_text(v, currency) or "" for v in
            (row.channel_value, row.hub_value, row.erp_value, row.difference)]


def render_csv(report: ReconciliationReport) -> str:
    """One line per metric, after a header line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in report.rows:
        writer.writerow([report.day.isoformat(), row.channel, row.metric, row.currency,
                         *_figures(row), row.status, row.detail or ""])
    return out.getvalue()


def _cells(values: Iterable[tuple[str, str]]) -> str:
    return "".join(f'<td class="{cls}">{html.escape(text)}</td>' if cls else
                   f"<td>{html.escape(text)}</td>" for cls, text in values)


def render_html(report: ReconciliationReport) -> str:
    """A plain page: a table per channel, the rows needing attention highlighted."""
    day = html.escape(report.day.isoformat())
    bad = sum(1 for r in report.rows if r.status in ATTENTION)
    verdict = ('<p class="verdict">Every figure agrees.</p>' if not bad else
               f'<p class="verdict bad">{bad} row{"s" if bad != 1 else ""} need attention.</p>')
    built = report.built_at.isoformat().replace("+00:00", "Z")
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>Reconciliation {day}</title>", f"<style>{_STYLE}</style></head><body>",
             f"<h1>Reconciliation {day}</h1>", f"<p>Built {html.escape(built)}.</p>", verdict]
    head = "".join(f"<th>{h}</th>" for h in ("metric", "currency", "channel", "hub", "ERP",
                                             "difference", "status", "detail"))
    for channel in report.channels():
        parts.append(f"<h2>{html.escape(channel)}</h2>")
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>")
        for row in report.rows:
            if row.channel != channel:
                continue
            cls = ' class="attention"' if row.status in ATTENTION else ""
            cells: list[tuple[str, str]] = [("", row.metric), ("", row.currency)]
            cells += [("num", v) for v in _figures(row)]
            cells += [("status", row.status), ("", row.detail or "")]
            parts.append(f"<tr{cls}>{_cells(cells)}</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report_files(report: ReconciliationReport, config: ReportsConfig,
                       root: Path | str) -> list[str]:
    """Write the day's files in ``config.formats``; returns where they are."""
    fs: Any
    fs, base = fsspec.core.url_to_fs(report_url(config.to, root))
    base = base.rstrip("/")
    fs.makedirs(base, exist_ok=True)
    renderers = {"csv": render_csv, "html": render_html}
    written: list[str] = []
    for fmt in config.formats:
        name = f"{report.day.isoformat()}.{fmt}"
        final, tmp = f"{base}/{name}", f"{base}/.{name}.part"
        try:
            with fs.open(tmp, "w", encoding="utf-8", newline="") as f:
                f.write(renderers[fmt](report))
            fs.mv(tmp, final)
        except BaseException:
            if fs.exists(tmp):
                fs.rm(tmp)
            raise
        written.append(final if isinstance(fs, LocalFileSystem) else fs.unstrip_protocol(final))
    return written
