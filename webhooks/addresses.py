"""Where a webhook may be sent (SSRF): https to a public address in production.

http, and loopback addresses, are allowed only for the local receiver of a development or
test set-up (``DEBUG`` or ``SIMULATORS_ENABLED``). The host is resolved when the endpoint is
saved and again for every connection a POST opens (a name may be pointed elsewhere later);
redirects are never followed.

A connection goes to exactly the addresses that were checked (``CheckedTransport``): the name
is resolved once, at connect time, and the socket opened to the checked address itself. Were
the check and the connection to resolve the name each on their own, a name server could answer
a public address to the check and 127.0.0.1 to the connection (DNS rebinding). TLS still
verifies the certificate for the endpoint's own host name, which is also the SNI and ``Host``.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import httpcore
import httpx
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


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` has now, in the resolver's order (one DNS lookup)."""
    return [info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]


def checked_addresses(host: str, port: int) -> list[str]:
    """``host`` resolved once; raise ``AddressError`` if any of its addresses is refused."""
    try:
        addresses = resolve(host, port)
    except (OSError, ValueError, UnicodeError):
        raise AddressError(_("The host name could not be resolved.")) from None
    if not addresses:
        raise AddressError(_("The host name could not be resolved."))
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if _refused(getattr(ip, "ipv4_mapped", None) or ip):
            raise AddressError(_("The URL points to a private or local network address."))
    return addresses


def check_form(url: str) -> tuple[str, int]:
    """The host and port of ``url``, unless its scheme or form is refused (no DNS lookup)."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and _local_allowed()):
        raise AddressError(_("The URL must start with https://."))
    host = parts.hostname
    if not host or parts.username or parts.password:
        raise AddressError(_("Enter a URL with a host name and no user name or password."))
    try:
        return host, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressError(_("The host name could not be resolved.")) from None


def check_url(url: str) -> None:
    """Raise ``AddressError`` (a reason for the creditor) unless ``url`` may be posted to."""
    checked_addresses(*check_form(url))


class CheckedBackend(httpcore.SyncBackend):
    """httpcore's own sockets, opened to the checked addresses of the host asked for rather
    than to the host name (which the socket would resolve again)."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        error = None
        for address in checked_addresses(host, port):
            try:
                return super().connect_tcp(address, port, timeout=timeout,
                                           local_address=local_address,
                                           socket_options=socket_options)
            except httpcore.ConnectError as exc:  # the next address, as a resolver's would
                error = exc
        raise error

    def connect_unix_socket(self, *args, **kwargs):
        raise AddressError(_("The URL points to a private or local network address."))


class CheckedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` (no proxy, no environment) whose connections go through
    ``CheckedBackend``. httpx 0.28 takes no network backend, so its pool is made here, with
    httpx's own defaults, from httpcore's public ``ConnectionPool``."""

    def __init__(self, *, verify=True):
        super().__init__(verify=verify, trust_env=False)
        limits = httpx.Limits()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=CheckedBackend())
