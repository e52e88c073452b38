"""``serve --workers N``: one worker runs the background jobs; TCP_NODELAY on connections."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from unittest import mock

from promptyard.cli import serve
from promptyard.server.nodelay import NoDelayHttpToolsProtocol


def test_only_the_first_worker_claims_the_background_jobs(tmp_path: Path) -> None:
    with mock.patch.object(serve, "_background_lock", None):
        assert serve._claim_background(tmp_path) is True
        assert serve._claim_background(tmp_path) is False  # another worker (another fd)
        assert (tmp_path / "serve-background.lock").exists()
        assert serve._background_lock is not None
        serve._background_lock.close()


def test_the_protocol_sets_tcp_nodelay() -> None:
    async def run() -> int:
        accepted: list[socket.socket] = []

        class Probe(NoDelayHttpToolsProtocol):
            def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
                sock = transport.get_extra_info("socket")
                # as uvicorn's workers get them: Nagle's algorithm on
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
                accepted.append(sock)
                super().connection_made(transport)

        from uvicorn.config import Config
        from uvicorn.server import ServerState

        async def app(scope: object, receive: object, send: object) -> None:
            return None

        config = Config(app, http=Probe, log_level="warning")
        config.load()
        state = ServerState()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: Probe(config=config, server_state=state, app_state={}),
            host="127.0.0.1",
            port=0,
        )
        port = server.sockets[0].getsockname()[1]
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while not accepted:
            await asyncio.sleep(0.01)
        value = accepted[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        writer.close()
        server.close()
        return int(value)

    assert asyncio.run(run()) != 0
    assert serve.NODELAY_HTTP == "promptyard.server.nodelay:NoDelayHttpToolsProtocol"
