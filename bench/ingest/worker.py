"""One contender in a process of its own: ``python bench/ingest/worker.py CONTENDER JOB_JSON``.

Prints one JSON line with the contender's result, wall time and resident memory (at the start
of the timed section and its peak). ``--profile PATH`` runs the timed section under cProfile,
every thread included, and writes the combined statistics to PATH.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import threading
from collections.abc import Callable
from typing import Any

from contenders import CONTENDERS, Job, Result, timed
from procs import RssSampler


def profiled(run: Callable[[], Result], path: str) -> Callable[[], Result]:
    """Wrap ``run`` so that it and every thread it starts are profiled into ``path``."""
    profiles: list[cProfile.Profile] = []
    original = threading.Thread.run

    def thread_run(self: threading.Thread) -> None:
        # cProfile only sees the thread that enabled it: give each new thread its own profile
        prof = cProfile.Profile()
        profiles.append(prof)
        prof.enable()
        try:
            original(self)
        finally:
            prof.disable()

    def wrapper() -> Result:
        main = cProfile.Profile()
        threading.Thread.run = thread_run  # type: ignore[method-assign]
        try:
            main.enable()
            try:
                return run()
            finally:
                main.disable()
        finally:
            threading.Thread.run = original  # type: ignore[method-assign]
            stats = pstats.Stats(main)
            for prof in profiles:
                stats.add(prof)
            stats.dump_stats(path)

    return wrapper


def main(argv: list[str] | None = None) -> int:
    """Run one contender and print its result as JSON on the last line of stdout."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("contender", choices=sorted(CONTENDERS))
    parser.add_argument("job", help="the Job as a JSON object")
    parser.add_argument("--profile", help="write cProfile statistics here")
    args = parser.parse_args(argv)
    job = Job(**json.loads(args.job))
    run = CONTENDERS[args.contender](job)
    if args.profile:
        run = profiled(run, args.profile)
    with RssSampler() as rss:
        result: dict[str, Any] = timed(run)
    result["rss_start_mb"] = round(rss.start_bytes / 2**20, 1)
    result["rss_peak_mb"] = round(rss.peak_bytes / 2**20, 1)
    result["cpu_s"] = round(rss.cpu_seconds, 2)
    if result.get("rows"):
        result["cpu_s_per_1000"] = round(rss.cpu_seconds * 1000 / result["rows"], 3)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
