"""The signature, pure: what ekrav sends, a receiver verifies as the README shows."""

import hashlib
import hmac

import pytest
from hypothesis import given, strategies as st

from webhooks import signing

SECRET = "whsec_test"


def test_known_vector():
    body = b'{"id":"evt_1"}'
    expected = hmac.new(b"whsec_test", b'1700000000.{"id":"evt_1"}', hashlib.sha256).hexdigest()
    assert signing.sign(SECRET, 1700000000, body) == expected
    assert signing.signature_header([SECRET], 1700000000, body) == f"t=1700000000,v1={expected}"


@given(body=st.binary(max_size=2000), t=st.integers(min_value=0, max_value=2**40))
def test_what_is_signed_verifies(body, t):
    header = signing.signature_header([SECRET], t, body)
    signing.verify(SECRET, header, body, now=t)


@given(body=st.binary(min_size=1, max_size=500), flip=st.integers(min_value=0))
def test_a_changed_body_fails(body, flip):
    header = signing.signature_header([SECRET], 1000, body)
    i = flip % len(body)
    changed = body[:i] + bytes([body[i] ^ 1]) + body[i + 1:]
    with pytest.raises(signing.SignatureError):
        signing.verify(SECRET, header, changed, now=1000)


@pytest.mark.parametrize("header", [
    "", "t=1000", "v1=abc", "t=abc,v1=abc", "t=1000,v1=", "garbage",
    "t=1000,v0=" + "0" * 64,
])
def test_malformed_headers_fail(header):
    with pytest.raises(signing.SignatureError):
        signing.verify(SECRET, header, b"{}", now=1000)


def test_wrong_secret_fails():
    header = signing.signature_header(["whsec_other"], 1000, b"{}")
    with pytest.raises(signing.SignatureError):
        signing.verify(SECRET, header, b"{}", now=1000)


@pytest.mark.parametrize("now,ok", [(1000, True), (1300, True), (700, True), (1301, False),
                                    (699, False)])
def test_timestamp_tolerance(now, ok):
    header = signing.signature_header([SECRET], 1000, b"{}")
    if ok:
        signing.verify(SECRET, header, b"{}", now=now)
    else:
        with pytest.raises(signing.SignatureError):
            signing.verify(SECRET, header, b"{}", now=now)


def test_during_a_rotation_either_secret_verifies():
    header = signing.signature_header(["whsec_new", "whsec_old"], 1000, b"{}")
    signing.verify("whsec_new", header, b"{}", now=1000)
    signing.verify("whsec_old", header, b"{}", now=1000)
    with pytest.raises(signing.SignatureError):
        signing.verify("whsec_third", header, b"{}", now=1000)


def test_the_readme_snippet_verifies():
    """The receiver's code in the README, run as written."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    snippet = re.search(r"```python\n(# Verify an ekrav webhook.*?)```", readme, re.S).group(1)
    scope = {}
    exec(snippet, scope)  # noqa: S102 - our own README
    body = b'{"id":"evt_1","type":"ping"}'
    header = signing.signature_header([SECRET], 1000, body)
    assert scope["verify_ekrav_signature"](SECRET, header, body, now=1000)
    assert not scope["verify_ekrav_signature"](SECRET, header, body + b" ", now=1000)
    assert not scope["verify_ekrav_signature"](SECRET, header, body, now=5000)
