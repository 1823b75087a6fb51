"""Request auth for APIs that take a fetched token and refuse it, at times, before it lapses.

Such a vendor (Youzan, Weidian, Weimob...) answers a refused token in its own envelope, so
its transport, not the auth, sees the refusal and calls :meth:`RenewingTokenAuth.renew`
once. To renew only the token that was refused, the auth remembers, per thread, the token
each thread's last request carried. :class:`KeptTokenAuth` holds its token in a
:class:`~synchub.runtime.tokens.TokenKeeper` (the token cache ``auth.cache`` names).
"""

from __future__ import annotations

import threading
from abc import abstractmethod

import requests
from requests.auth import AuthBase

from synchub.runtime.tokens import TokenKeeper


def unauthenticated(r: requests.PreparedRequest) -> requests.PreparedRequest:
    """An explicit "no auth" for one request on a session whose ``auth`` is set (the token
    request itself goes without the token it is fetching)."""
    return r


def token_in_query(r: requests.PreparedRequest, param: str,
                   token: str) -> requests.PreparedRequest:
    """``r`` with ``?<param>=<token>`` added to its URL."""
    r.prepare_url(r.url, {param: token})
    return r


class RenewingTokenAuth(AuthBase):
    """A token auth that renews the token a thread's last request carried when asked.

    A subclass says how a token is had (:meth:`token`), renewed (:meth:`renew_stale`) and
    written into a request (:meth:`attach`).
    """

    def __init__(self) -> None:
        self._sent = threading.local()   # the token this thread's last request carried

    @abstractmethod
    def token(self) -> str:
        """A token valid for a while yet."""

    @abstractmethod
    def renew_stale(self, stale: str | None) -> str:
        """A token other than ``stale`` (None: no request of this thread carried one)."""

    @abstractmethod
    def attach(self, r: requests.PreparedRequest, token: str) -> requests.PreparedRequest:
        """``r`` carrying ``token`` where the vendor looks for it."""

    def renew(self, stale: str | None = None) -> str:
        """A new token after an API refused ``stale`` (by default the one this thread's
        last request carried); a token another thread or client already renewed is kept."""
        return self.renew_stale(stale if stale is not None else
                                getattr(self._sent, "token", None))

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.token()
        self._sent.token = token
        return self.attach(r, token)


class KeptTokenAuth(RenewingTokenAuth):
    """A :class:`RenewingTokenAuth` whose token a :class:`TokenKeeper` holds."""

    keeper: TokenKeeper

    @property
    def fetches(self) -> int:
        """Tokens this client took itself (not those other clients put in the cache)."""
        return self.keeper.fetches

    def token(self) -> str:
        """The cached token, taken anew when it is missing or about to lapse."""
        return self.keeper.token()

    def renew_stale(self, stale: str | None) -> str:
        """The keeper's renewal of ``stale``; with none, simply its current token."""
        if stale is None:
            return self.keeper.token()
        return self.keeper.renew(stale)
