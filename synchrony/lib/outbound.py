"""Outbound URLs are checked before anything is sent to them.

Only http and https, and never a private, loopback, link-local or otherwise
non-public address (a webhook must not become a way into the internal network),
unless the admin allowed that network in OUTBOUND_ALLOWED_NETWORKS. The host is
resolved and every address it resolves to is checked, at save and again at send.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeURL(ValueError):
    pass


@cache
def _allowed(
    networks: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in networks)


def check_url(url: str) -> list[tuple[socket.AddressFamily, tuple[Any, ...]]]:
    """Raise UnsafeURL, with a message for the person who typed it, unless `url` is safe.

    Returns the addresses checked (family, socket address), for a caller that connects
    to exactly those: a name resolved again later could answer differently.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("This is not a valid URL.") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("Use an http:// or https:// address.")
    host = parts.hostname
    if not host:
        raise UnsafeURL("The address has no host name.")
    try:
        infos = socket.getaddrinfo(host, port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        raise UnsafeURL(f"The host {host} does not resolve.") from None
    allowed = _allowed(tuple(settings.OUTBOUND_ALLOWED_NETWORKS))
    addresses: list[tuple[socket.AddressFamily, tuple[Any, ...]]] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if (address.is_global and not address.is_multicast) or any(
            address in network for network in allowed
        ):
            if info[1] == socket.SOCK_STREAM and (info[0], info[4]) not in addresses:
                addresses.append((info[0], info[4]))
            continue
        raise UnsafeURL(
            f"{host} points at a private or reserved address ({address}); outbound calls "
            "go to public addresses only unless an admin allows the network "
            "(OUTBOUND_ALLOWED_NETWORKS)."
        )
    return addresses
