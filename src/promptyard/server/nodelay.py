"""uvicorn's httptools protocol with ``TCP_NODELAY`` set on every connection.

With ``--workers N`` uvicorn hands its workers a listening socket made by the parent;
connections accepted from it this way were measured to keep Nagle's algorithm on (a
fixed ~40 ms on every request after the first on a kept-alive connection, when the
answer is written in two sends and the client delays its ACK; uvicorn issue #3149; see
docs/deployment.md). One worker did not show it. Setting the option on each accepted
socket costs one system call per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # not a TCP socket after all
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
