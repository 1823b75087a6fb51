"""``make airflow`` / ``make stop``: Airflow standalone with the hub's DAGs, on loopback.

Airflow standalone stops cleanly only on SIGINT, and a background job started from a script
ignores SIGINT; so it is started in its own session with SIGINT restored, and stopped with
SIGINT to that session (then SIGTERM/SIGKILL to stragglers).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from synchub.localenv import LocalEnv, ensure_sandbox, stop_sandbox

URL = "http://127.0.0.1:8080"
_LAUNCH = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
           "os.execvp('airflow', ['airflow', 'standalone'])")


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _pid_file(env: LocalEnv) -> Path:
    return env.var / "airflow-standalone.pid"


def _running_pid(env: LocalEnv) -> int | None:
    try:
        pid = int(_pid_file(env).read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def start(env: LocalEnv, timeout: float = 120.0) -> int:
    """Start the sandbox and Airflow standalone in the background; wait until healthy."""
    ready, _ = ensure_sandbox(env)
    environ = env.airflow_env(ready)
    if _running_pid(env):
        _say(f"Airflow already running: {URL}")
        return 0
    env.airflow_home.mkdir(parents=True, exist_ok=True)
    pools = subprocess.run([sys.executable, "-m", "synchub.cli", "pools", "--config",  # noqa: S603
                            str(env.hub)], env=environ, capture_output=True,
                           text=True, check=True)
    (env.var / "pools.json").write_text(pools.stdout)
    # the hub store at the code's head revision: the DAGs' tasks check it, never migrate
    subprocess.run([sys.executable, "-m", "synchub.cli", "db", "upgrade", "--config",  # noqa: S603
                    str(env.hub)], env=environ, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["airflow", "db", "migrate"], env=environ, check=True,  # noqa: S607
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["airflow", "pools", "import", str(env.var / "pools.json")],  # noqa: S603,S607
                   env=environ, check=True, stdout=subprocess.DEVNULL)
    log = (env.var / "logs").joinpath("airflow-standalone.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as fh:
        proc = subprocess.Popen([sys.executable, "-c", _LAUNCH], env=environ,  # noqa: S603
                                stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    _pid_file(env).write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _say(f"Airflow exited with status {proc.returncode}; see {log}")
            return 1
        try:
            if requests.get(f"{URL}/api/v2/monitor/health", timeout=2).ok:
                break
        except requests.RequestException:
            pass
        time.sleep(1)
    else:
        _say(f"Airflow did not become healthy within {timeout:.0f}s; see {log}")
        return 1
    pw = env.airflow_home / "simple_auth_manager_passwords.json.generated"
    _say(f"Airflow UI: {URL}  (user admin; password in {pw})")
    _say(f"sandbox:    {ready['base_url']}")
    _say(f"log:        {log}")
    _say("DAGs start paused: unpause sync__* in the UI or trigger a run. `make stop` stops all.")
    return 0


def stop(env: LocalEnv) -> int:
    """Stop Airflow standalone (SIGINT to its session) and the sandbox."""
    pid = _running_pid(env)
    if pid:
        os.killpg(pid, signal.SIGINT)
        for _ in range(300):
            try:
                os.killpg(pid, 0)
            except OSError:
                break
            time.sleep(0.1)
        else:
            os.killpg(pid, signal.SIGKILL)
        _say("Airflow stopped")
    _pid_file(env).unlink(missing_ok=True)
    if stop_sandbox(env):
        _say("sandbox stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    env = LocalEnv(Path(os.environ.get("SYNCHUB_ROOT", Path.cwd())).resolve())
    if args[:1] == ["start"]:
        return start(env)
    if args[:1] == ["stop"]:
        return stop(env)
    _say("usage: python -m synchub.airflow_local start|stop")
    return 2


if __name__ == "__main__":
    sys.exit(main())
