"""Schedules as Airflow reads them, checked without Airflow installed.

Airflow turns a DAG's schedule string into a timetable: ``@once`` and ``@continuous`` are
timetables of their own; any other string is one of its cron presets (resolved first) or a
cron expression, parsed by croniter, the library its cron timetables use
(``airflow.timetables._cron.CronMixin.validate``). The same rules here let ``synchub
validate`` refuse a schedule before a DAG file fails to parse; a test holds the verdicts
equal to Airflow's.
"""

from __future__ import annotations

import difflib

from croniter import CroniterError, croniter

# airflow.utils.dates.cron_presets (a test keeps the two equal)
CRON_PRESETS: dict[str, str] = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
}
# timetables of their own: a DAG's schedule, never the cron of a timetable
DAG_ONLY_PRESETS = ("@once", "@continuous")
# the five fields of a cron expression and their ranges, for a message that names the field
CRON_FIELDS = (("minute", "0-59"), ("hour", "0-23"), ("day of month", "1-31"),
               ("month", "1-12 or jan-dec"), ("day of week", "0-7 or sun-sat"))
FIELD_NAMES = " ".join(name.replace(" ", "-") for name, _ in CRON_FIELDS)


def schedule_problem(value: str, *, cron_only: bool = False) -> str | None:
    """Why Airflow would refuse ``value`` as a schedule, or None when it takes it.

    ``cron_only``: the schedule becomes a cron timetable (``CronTriggerTimetable``,
    ``CronDataIntervalTimetable``), where ``@once`` and ``@continuous`` do not fit.
    """
    text = value.strip()
    if not text:
        return "a schedule cannot be empty; write null for no schedule"
    if text.lower() in ("none", "null", "~"):
        return f"{value!r} is a string; write null (without quotes) for no schedule"
    if text in DAG_ONLY_PRESETS:
        if cron_only:
            return (f"{text} is a DAG schedule, but this one becomes a cron timetable; "
                    f"use a cron expression or a preset ({', '.join(CRON_PRESETS)})")
        return None
    expression = CRON_PRESETS.get(text, text)
    try:
        croniter(expression)
    except CroniterError as exc:
        return _explain(text, exc, cron_only)
    return None


def _explain(text: str, exc: Exception, cron_only: bool) -> str:
    """A message that says which part of ``text`` is wrong (croniter's own is terse)."""
    presets = list(CRON_PRESETS) + ([] if cron_only else list(DAG_ONLY_PRESETS))
    if text.startswith("@"):
        close = difflib.get_close_matches(text, presets, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown preset {text!r}{hint}; Airflow's presets: {', '.join(presets)}"
    fields = text.split()
    if len(fields) < 5 or len(fields) > 7:
        return (f"{text!r} has {len(fields)} field{'s' if len(fields) != 1 else ''}; a cron "
                f"expression has 5 ({FIELD_NAMES}), or use a preset "
                f"({', '.join(presets)})")
    for i, (name, allowed) in enumerate(CRON_FIELDS):
        alone = ["*"] * 5
        alone[i] = fields[i]
        try:
            croniter(" ".join(alone))
        except CroniterError as field_exc:
            if "range" in str(field_exc) or "bands" in str(field_exc):
                return f"{text!r}: {name} {fields[i]!r} is out of range ({allowed})"
            return (f"{text!r}: {name} {fields[i]!r} is not valid ({allowed}; lists, ranges "
                    "and steps like 1,15 or 1-5 or */15)")
    return f"{text!r} is not a valid cron expression: {exc}"
