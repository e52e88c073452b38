"""Where the server may send requests a workspace configured: the outbound URL policy.

Webhooks, Slack-style alert channels and declared MCP servers all make the server open a
connection to a URL a workspace member typed. Unchecked, that is a server-side request
forgery: a webhook to ``http://169.254.169.254/`` or ``http://127.0.0.1:5432/`` reaches
what only the server can reach. :func:`check_url` refuses private, loopback, link-local,
multicast and other non-global addresses, and names that look internal, unless the
feature's own switch allows them (each feature has one, e.g.
``PROMPTYARD_WEBHOOK_ALLOW_PRIVATE``, for a receiver inside your network). Callers check
when the URL is saved and again, with ``resolve=True``, before each send, so a name that
later resolves inside the network is caught too.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from promptyard.domain.errors import ValidationFailed

_INTERNAL_SUFFIXES = (".localhost", ".local", ".internal")


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def check_url(url: str, *, allow_private: bool, setting: str, resolve: bool = False) -> None:
    """Raise :class:`ValidationFailed` unless ``url`` is an http(s) URL of a public host.

    ``allow_private``: the feature's switch (named by ``setting`` in the message) that
    lets private addresses through. ``resolve``: also look the name up and check every
    address it has.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("url must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise ValidationFailed("url must not carry a user name or password")
    if allow_private:
        return
    host = parts.hostname
    reason = f"private, loopback and link-local addresses are refused ({setting} allows them)"
    if host == "localhost" or host.endswith(_INTERNAL_SUFFIXES):
        raise ValidationFailed(f"{host}: {reason}")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if _refused(literal):
            raise ValidationFailed(f"{host}: {reason}")
        return
    if resolve:
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise ValidationFailed(f"{host}: cannot resolve ({exc})") from None
        for info in infos:
            if _refused(ipaddress.ip_address(info[4][0])):
                raise ValidationFailed(f"{host} resolves to {info[4][0]}: {reason}")
