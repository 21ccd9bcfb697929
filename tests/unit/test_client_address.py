"""Which client a rate limit counts: X-Forwarded-For only from a trusted proxy (core.ratelimit)."""

from __future__ import annotations

from ipaddress import ip_network

from credential_service.core.ratelimit import client_address

PROXIES = (ip_network("10.0.0.0/8"), ip_network("2001:db8::/32"))


def test_the_header_is_ignored_from_an_untrusted_peer() -> None:
    assert client_address("203.0.113.9", ["198.51.100.1"], PROXIES) == "203.0.113.9"
    assert client_address("203.0.113.9", ["198.51.100.1"], ()) == "203.0.113.9"
    assert client_address("testclient", ["198.51.100.1"], PROXIES) == "testclient"


def test_the_right_most_address_not_a_trusted_proxy_is_the_client() -> None:
    assert client_address("10.0.0.1", ["6.6.6.6, 198.51.100.1"], PROXIES) == "198.51.100.1"
    assert client_address("10.0.0.1", ["6.6.6.6", "198.51.100.1, 10.1.2.3"], PROXIES) == "198.51.100.1"
    assert client_address("2001:db8::1", ["2001:db8::2, 2001:db8::3"], PROXIES) == "2001:db8::2"
    assert client_address("10.0.0.1", ["junk, 198.51.100.1"], PROXIES) == "198.51.100.1"
    assert client_address("10.0.0.1", [], PROXIES) == "10.0.0.1"
