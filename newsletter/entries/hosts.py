"""Whether a link leads to this machine: what lint lets be plain http, and where
``newsletter draft`` may send a key that newsletter.toml asks it to."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_local(url: str) -> bool:
    """Whether ``url``'s host is this machine: 'localhost' or a loopback address (as
    urllib reads the host, which is also how the HTTP client reads it)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:  # an unbalanced '[' in the host
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
