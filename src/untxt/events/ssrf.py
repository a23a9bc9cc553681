"""Webhook URLs may not reach the server's own network: checked at creation and at delivery.

A URL is refused unless its scheme is http or https and every address its host
resolves to is a public unicast one: private, loopback, link-local (169.254.169.254,
the cloud metadata service, among them), multicast, reserved, unspecified and
shared (carrier-grade NAT) addresses are refused, as are IPv6 addresses that
embed such an IPv4 address. Hosts and addresses named in
``UNTXT_WEBHOOK_ALLOWED_HOSTS`` are let through. A delivery connects to the
address it checked, so a DNS answer that changes in between cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from untxt.errors import UnsafeWebhookURLError
from untxt.options import split_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class CheckedURL:
    """A webhook URL and the addresses it may be delivered to, in resolver order."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def parse_allowed_hosts(text: str) -> frozenset[str]:
    """``UNTXT_WEBHOOK_ALLOWED_HOSTS`` (comma-separated host names and addresses) as a set."""
    hosts = set()
    for item in text.split(","):
        host = item.strip().lower().strip("[]")
        if host:
            hosts.add(_normal_address(host) or host)
    return frozenset(hosts)


def _normal_address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def blocked_reason(address: IPAddress) -> str | None:
    """Why ``address`` may not be called (``"10.0.0.1 (private)"``), or ``None`` when it is
    a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None:
            reason = blocked_reason(embedded)
            return f"{reason}, inside {address}" if reason else None
    for flag in ("unspecified", "loopback", "link_local", "multicast", "reserved", "private"):
        if getattr(address, f"is_{flag}"):
            return f"{address} ({flag.replace('_', '-')})"
    if not address.is_global:
        return f"{address} (not public)"
    return None


def _resolve(host: str, port: int) -> list[str]:
    literal = _normal_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeWebhookURLError(f"the webhook host {host!r} does not resolve: {exc}") from None
    # The scope of an IPv6 link-local address ("fe80::1%eth0") is not part of the address.
    addresses = [str(info[4][0]).split("%", 1)[0] for info in infos]
    return list(dict.fromkeys(addresses))


def check_url(url: str, *, allowed: frozenset[str]) -> CheckedURL:
    """Resolve ``url``'s host and check every address; raises :class:`UnsafeWebhookURLError`."""
    scheme, host, port = split_url(url)
    addresses = _resolve(host, port)
    if host not in allowed:
        for text in addresses:
            if text in allowed:
                continue
            reason = blocked_reason(ipaddress.ip_address(text))
            if reason:
                raise UnsafeWebhookURLError(
                    f"the webhook host {host!r} resolves to {reason}; webhooks may only "
                    "call public addresses (or hosts in UNTXT_WEBHOOK_ALLOWED_HOSTS)"
                )
    if not addresses:
        raise UnsafeWebhookURLError(f"the webhook host {host!r} has no address")
    return CheckedURL(url=url, scheme=scheme, host=host, port=port, addresses=tuple(addresses))
