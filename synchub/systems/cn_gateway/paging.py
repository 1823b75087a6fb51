"""The ``backward_pages`` paginator: numbered pages from the last one back to the first.

APIs listing what changed in a window, newest first, move a record to the front when it
changes again while the pages are read (and out of a closed window altogether). Read
front to back, the records behind it slide one place forward onto a page already read and
are missed; read back to front, they slide onto a page still to come and are read then
(perhaps twice: the transport drops repeats). So the first request only learns the total
(``total_path``); when more than one page holds it, the pages are read from the last one
down, the first page last of all.
"""

from __future__ import annotations

import math
from typing import Any

import jmespath
import requests

from synchub.errors import FatalAPIError
from synchub.runtime.paginators import BasePaginator, Request


class BackwardPagesPaginator(BasePaginator[int]):
    """``page_no`` = N, N-1, ... 1 after a first request that learns N."""

    def __init__(self, spec: Any, *, stream: str, page_size: int | None = None) -> None:
        super().__init__(spec, stream=stream, page_size=page_size)
        if page_size is None:
            raise FatalAPIError(f"stream {stream!r}: paginator backward_pages needs page_size")
        self._total = jmespath.compile(spec.total_path)
        self.token = spec.start_page
        self.probing = True          # the first answer only counts, unless it is all
        self.keep = True             # whether the page just read is to be kept
        self.total: int | None = None

    def next_token(self, response: requests.Response, body: Any, records: list[Any]
                   ) -> int | None:
        """After the first page: the last page, or nothing when one page holds all."""
        if not self.probing:
            self.keep = True
            current: int = self.token if self.token is not None else self.spec.start_page
            return None if current <= self.spec.start_page else current - 1
        self.probing = False
        total = self._total.search(body)
        if isinstance(total, str) and total.isdigit():
            total = int(total)
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise FatalAPIError(f"stream {self.stream!r}: no record count at "
                                f"{self.spec.total_path!r} (found {str(total)[:40]!r}); "
                                "backward paging needs it", status=response.status_code)
        self.total = total
        pages = math.ceil(total / self.page_size) if self.page_size else 1
        if pages <= 1:
            self.keep = True
            return None
        self.keep = False            # read again last, after everything behind it
        return int(self.spec.start_page) + pages - 1

    def prepare(self, request: Request) -> None:
        """Ask for the current page number."""
        request.params[self.spec.page_param] = self.token
