"""The outbound URL policy shared by webhooks, Slack-style alert channels and MCP servers:
http(s) to a public host only, unless the feature's switch allows private addresses."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from promptyard.domain.errors import ValidationFailed
from promptyard.services.operations.outbound import check_url

SETTING = "PROMPTYARD_EXAMPLE_ALLOW_PRIVATE"
RESOLVED: dict[str, Any] = {"allow_private": False, "setting": SETTING, "resolve": True}
RESOLVED: dict[str, Any] = {"allow_private": False, "setting": SETTING, "resolve": True}

PRIVATE = (
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/x",
    "http://localhost:8080/x",
    "http://api.localhost/x",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://printer.local/x",
    "http://10.0.0.5/x",
    "http://172.16.3.4/x",
    "http://192.168.1.1/x",
    "http://100.64.0.1/x",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data",
    "http://0.0.0.0/x",
    "http://224.0.0.1/x",
    "http://[::1]/x",
    "http://[fe80::1]/x",
    "http://[fd00::1]/x",
    "http://[::ffff:127.0.0.1]/x",
    "http://[::ffff:169.254.169.254]/x",
)


@pytest.mark.parametrize("url", PRIVATE)
def test_private_loopback_and_internal_hosts_are_refused_naming_the_switch(url: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_url(url, allow_private=False, setting=SETTING)
    assert SETTING in refused.value.message
    check_url(url, allow_private=True, setting=SETTING)  # the switch lets them through


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/x",
        "file:///etc/passwd",
        "gopher://hooks.example.com/",
        "http:///no-host",
        "https://user:pw@hooks.example.com/x",
        "https://token@hooks.example.com/x",
    ],
)
def test_other_schemes_and_credentials_in_the_url_are_refused_even_when_allowed(
    url: str,
) -> None:
    for allow in (False, True):
        with pytest.raises(ValidationFailed):
            check_url(url, allow_private=allow, setting=SETTING)


def test_public_hosts_pass() -> None:
    for url in (
        "https://hooks.slack.com/services/T/B/X",
        "https://93.184.215.14/x",
        "http://[2606:4700:4700::1111]/x",
    ):
        check_url(url, allow_private=False, setting=SETTING)


def test_a_name_is_checked_where_it_resolves(monkeypatch: pytest.MonkeyPatch) -> None:
    """At send time the name is resolved: one private address among its answers refuses it
    (a public-looking name pointed inside the network after it was saved)."""
    answers = {
        "rebound.example.com": ["93.184.215.14", "10.1.2.3"],
        "public.example.com": ["93.184.215.14"],
    }

    def fake_getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    # saved: the name alone is not looked up
    check_url("https://rebound.example.com/h", allow_private=False, setting=SETTING)
    with pytest.raises(ValidationFailed, match=r"resolves to 10\.1\.2\.3"):
        check_url("https://rebound.example.com/h", **RESOLVED)
    check_url("https://public.example.com/h", **RESOLVED)
    with pytest.raises(ValidationFailed, match="cannot resolve"):
        check_url("https://nowhere.example.com/h", **RESOLVED)
