"""The webhook signature, pure: ``Ekrav-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]``
where each ``v1`` is HMAC-SHA256 with one of the endpoint's secrets over ``f"{t}.{body}"``
(the raw request body, bytes as sent). Two ``v1`` during the day after a secret rotation:
a receiver accepts the request if any of them matches a secret it holds.

A receiver checks it exactly as ``verify`` does (README, "Webhooks").
"""

import hashlib
import hmac

HEADER = "Ekrav-Signature"
TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    pass


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: list[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={sign(s, timestamp, body)}" for s in secrets)])


def parse_header(header: str) -> tuple[int, list[str]]:
    timestamp, signatures = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError("The header has no timestamp or no v1 signature.")
    return timestamp, signatures


def verify(secret: str, header: str, body: bytes, *, now: int,
           tolerance: int = TOLERANCE_SECONDS) -> None:
    """Raise ``SignatureError`` unless ``header`` signs ``body`` with ``secret`` at a time
    within ``tolerance`` seconds of ``now`` (an old request replayed is refused)."""
    timestamp, signatures = parse_header(header)
    if abs(now - timestamp) > tolerance:
        raise SignatureError("The timestamp is outside the tolerance.")
    expected = sign(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise SignatureError("No signature matches.")
