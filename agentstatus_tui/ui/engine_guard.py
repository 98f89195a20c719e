"""Commands that the engine cannot carry out (an attached dashboard's daemon is gone, a
read-only token, too many manual runs) are said in a toast; the dashboard carries on."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

from textual.dom import DOMNode

from ..engine.frontend import Disconnected, FrontEndError

P = ParamSpec("P")
R = TypeVar("R")
N = TypeVar("N", bound=DOMNode)


def tell(node: DOMNode, exc: FrontEndError) -> None:
    node.app.notify(str(exc), title="DISCONNECTED" if isinstance(exc, Disconnected)
                    else "NOT DONE", severity="warning", timeout=6)


def says_why(method: Callable[Concatenate[N, P], Awaitable[R]]
             ) -> Callable[Concatenate[N, P], Coroutine[Any, Any, R | None]]:
    """An async handler whose engine calls may fail for a reason a person should read."""

    @functools.wraps(method)
    async def handler(self: N, *args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return await method(self, *args, **kwargs)
        except FrontEndError as exc:
            tell(self, exc)
            return None

    return handler


async def attempt(node: DOMNode, call: Awaitable[R]) -> R | None:
    """`await call`, or a toast saying why it could not be done (for workers)."""
    try:
        return await call
    except FrontEndError as exc:
        tell(node, exc)
        return None
