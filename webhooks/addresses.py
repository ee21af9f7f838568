"""Where a webhook may be sent (SSRF): https to a public address in production.

http, and loopback addresses, are allowed only for the local receiver of a development or
test set-up (``DEBUG`` or ``SIMULATORS_ENABLED``). The host is resolved when the endpoint is
saved and again before every POST (a name may be pointed elsewhere later); redirects are never
followed.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class AddressError(ValueError):
    pass


def _local_allowed() -> bool:
    return bool(settings.DEBUG or settings.SIMULATORS_ENABLED)


def _refused(ip) -> bool:
    if ip.is_loopback:
        return not _local_allowed()
    return (ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified)


def check_url(url: str) -> None:
    """Raise ``AddressError`` (a reason for the creditor) unless ``url`` may be posted to."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and _local_allowed()):
        raise AddressError(_("The URL must start with https://."))
    host = parts.hostname
    if not host or parts.username or parts.password:
        raise AddressError(_("Enter a URL with a host name and no user name or password."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError):
        raise AddressError(_("The host name could not be resolved.")) from None
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if _refused(getattr(ip, "ipv4_mapped", None) or ip):
            raise AddressError(_("The URL points to a private or local network address."))
