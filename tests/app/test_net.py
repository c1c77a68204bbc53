"""The SSRF guard of outbound HTTP: which targets are refused, without sending anything anywhere."""

import pytest

from app.net import TargetRefused, is_public, post_json
from app.webhooks import signing


@pytest.mark.parametrize("address,public", [
    ("93.184.216.34", True), ("2606:4700::6810:85e5", True),
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False),
    ("255.255.255.255", False), ("::1", False), ("fe80::1", False), ("fc00::1", False), ("::", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("ff02::1", False),
])
def test_only_public_addresses_are_public(address, public):
    assert is_public(address) is public


@pytest.mark.parametrize("url,message", [
    ("http://127.0.0.1:9/hook", "non-public"),
    ("http://localhost/hook", "non-public"),
    ("http://10.0.0.1/hook", "non-public"),
    ("http://169.254.169.254/latest/meta-data", "non-public"),
    ("http://[::1]:8080/", "non-public"),
    ("http://[::ffff:127.0.0.1]/", "non-public"),
    ("http://0.0.0.0/", "non-public"),
    ("ftp://example.com/file", "only absolute http"),
    ("/relative", "only absolute http"),
    ("http://user:pw@example.com/", "credentials in the URL"),
    ("http://[::1/", "not a valid URL"),
])
def test_non_public_and_malformed_targets_are_refused(url, message):
    with pytest.raises(TargetRefused, match=message):
        post_json(url, b"{}", {}, timeout=1, allow_private=False)


def test_signatures_follow_standard_webhooks():
    from standardwebhooks.webhooks import Webhook

    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the specification's example secret
    body = b'{"test": 2432232314}'
    headers = signing.headers(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", body, timestamp=1614265330)
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="  # the spec's vector
    assert signing.verify(secret, headers, body, now=1614265330)
    assert not signing.verify(secret, headers, body + b" ", now=1614265330)
    assert not signing.verify(secret, headers, body, now=1614265330 + 301)  # too old
    fresh = signing.headers(secret, "msg_1", body)
    Webhook(secret).verify(body, fresh)
