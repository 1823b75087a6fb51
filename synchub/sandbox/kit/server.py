"""Run the app of a store registry with uvicorn in a daemon thread (tests, demos, benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn

from synchub.sandbox.kit.app import create_app
from synchub.sandbox.kit.registry import StoreRegistry


class LoopbackServer:
    """A loopback HTTP server for a :class:`StoreRegistry`; ``port=0`` picks a free port."""

    def __init__(self, sandbox: StoreRegistry, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sandbox, self.host, self.port = sandbox, host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` once started."""
        return f"http://{self.host}:{self.port}"

    def url(self, system: str, store: str = "demo") -> str:
        """The base URL of any system's store."""
        return f"{self.base_url}/{system}/{store}"

    def start(self, timeout: float = 10.0) -> Self:
        """Start serving; returns once the port accepts connections."""
        if self._thread is not None:
            return self
        # Bind ourselves so port 0 resolves before uvicorn starts and no other process races us.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        config = uvicorn.Config(create_app(self.sandbox), log_level="warning",
                                access_log=False, lifespan="off", timeout_keep_alive=30)
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                        name="synchub-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
