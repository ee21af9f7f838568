"""Read once per request: small tables a page reads many times over (the reference rates and
the statutory fees, law as data) are read from the database once per request and kept until
its end, wherever in the page's code they are asked for.

Only inside a request (``RequestMemoMiddleware``, ekrav.middleware): a task, the tick or a
management command reads afresh each time, as it always did. A request that changes such a
table (a case handler saving a reference rate in the admin) forgets what it read: the models'
save and delete signals call ``memo_forget`` (claims.apps).
"""

from contextvars import ContextVar
from typing import Callable, TypeVar

T = TypeVar("T")

_memo: ContextVar[dict | None] = ContextVar("ekrav_request_memo", default=None)


def memo_open():
    """Start a request's memo; returns the token ``memo_close`` takes."""
    return _memo.set({})


def memo_close(token) -> None:
    _memo.reset(token)


def memoized(key: str, read: Callable[[], T]) -> T:
    """``read()``, once per request under ``key``; outside a request, every time."""
    memo = _memo.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


def memo_forget(**_signal) -> None:
    """Forget everything read in this request (a table it holds was written)."""
    memo = _memo.get()
    if memo is not None:
        memo.clear()
