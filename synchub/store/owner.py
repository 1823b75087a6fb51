"""Who owns a stream run, and whether that owner still lives.

A run records its owner as ``host:pid:token``: the host name, the process id, and a token
that tells this process from a later one given the same pid (the boot id and the process's
start time on Linux; empty where the system does not say). On the same host a run whose
process is gone is dead at once; a run of another host is dead when its heartbeat is
older than the lease, since its process cannot be asked.
"""

from __future__ import annotations

import functools
import os
import socket
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunOwner:
    """The process that runs a stream: host, pid and start token."""

    host: str
    pid: int
    token: str = ""

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"

    @classmethod
    def parse(cls, text: str | None) -> RunOwner | None:
        """The owner recorded as ``host:pid:token``; None when absent or unreadable."""
        if not text:
            return None
        host, _, rest = text.partition(":")
        pid, _, token = rest.partition(":")
        return cls(host, int(pid), token) if host and pid.isdecimal() else None


@functools.cache
def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return ""


def _stat(pid: int) -> list[str]:
    """Fields 3 and on of ``/proc/<pid>/stat`` (state first); empty when unreadable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    # the command name (field 2) is in parentheses and may hold spaces: count after it
    return stat.rsplit(")", 1)[-1].split()


def start_token(pid: int) -> str:
    """What tells process ``pid`` from a later one with the same pid ("" when unknown)."""
    fields = _stat(pid)
    return f"{_boot_id()}.{fields[19]}" if len(fields) > 19 else ""


def this_process() -> RunOwner:
    """The owner for runs this process starts."""
    return RunOwner(socket.gethostname(), os.getpid(), start_token(os.getpid()))


def on_this_host(owner: RunOwner) -> bool:
    """True when ``owner`` runs on the host of this process (so its pid can be checked)."""
    return owner.host == socket.gethostname()


def is_gone(owner: RunOwner) -> bool:
    """True when ``owner`` runs on this host and its process no longer exists.

    False for another host's owner (only its heartbeat can tell) and for a live process.
    """
    if not on_this_host(owner):
        return False
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # a process of another user: it exists
    except OSError:
        return False
    fields = _stat(owner.pid)
    if fields and fields[0] in ("Z", "X"):
        return True  # exited, not yet reaped by its parent
    if owner.token and len(fields) > 19:
        # the pid lives, but is it the same process? (pids are reused after a while)
        return f"{_boot_id()}.{fields[19]}" != owner.token
    return False
