"""The SSRF guard: which webhook URLs may be called, and the allow-list."""

from __future__ import annotations

import ipaddress

import pytest

from untxt.errors import UnsafeWebhookURLError
from untxt.events.ssrf import blocked_reason, check_url, parse_allowed_hosts
from untxt.options import split_url

NONE: frozenset[str] = frozenset()


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not public"),
        ("fc00::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("2002:a00:1::", "private"),
    ],
)
def test_inside_addresses_are_blocked_with_the_reason(address: str, why: str) -> None:
    reason = blocked_reason(ipaddress.ip_address(address))
    assert reason is not None and why in reason


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://93.184.215.14/hook", "93.184.215.14"),
        ("http://8.8.8.8:8080/hook", "8.8.8.8"),
        ("https://[2606:4700:4700::1111]/hook", "2606:4700:4700::1111"),
    ],
)
def test_public_addresses_pass(url: str, address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None
    assert check_url(url, allowed=NONE).addresses == (address,)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("gopher://127.0.0.1:70/", "http or https"),
        ("example.com/hook", "http or https"),
        ("http:///hook", "no host"),
        ("http://example.com:99999/", "not a valid URL"),
        ("http://exa mple.com/", "whitespace"),
        ("http://" + "a" * 2100 + ".com/", "longer than"),
    ],
)
def test_malformed_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(UnsafeWebhookURLError, match=message):
        split_url(url)


def test_a_host_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(UnsafeWebhookURLError, match="does not resolve"):
        check_url("https://no-such-host.invalid/hook", allowed=NONE)


def test_a_name_resolving_inside_is_refused_unless_allowed() -> None:
    with pytest.raises(UnsafeWebhookURLError, match="loopback"):
        check_url("http://localhost:8080/hook", allowed=NONE)
    checked = check_url("http://localhost:8080/hook", allowed=parse_allowed_hosts("localhost"))
    assert checked.host == "localhost" and checked.port == 8080
    assert all(ipaddress.ip_address(a).is_loopback for a in checked.addresses)


def test_an_allowed_address_lets_exactly_that_address_through() -> None:
    allowed = parse_allowed_hosts(" 127.0.0.1 , [::1],Example.Internal ")
    assert allowed == frozenset({"127.0.0.1", "::1", "example.internal"})
    assert check_url("http://127.0.0.1:9/x", allowed=allowed).addresses == ("127.0.0.1",)
    assert check_url("http://[::1]:9/x", allowed=allowed).addresses == ("::1",)
    with pytest.raises(UnsafeWebhookURLError):
        check_url("http://127.0.0.2:9/x", allowed=allowed)
    with pytest.raises(UnsafeWebhookURLError):
        check_url("http://169.254.169.254/latest/meta-data", allowed=allowed)
