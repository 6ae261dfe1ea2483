"""The network guard: which addresses a crawl may reach, checked by value and in real crawls."""

from __future__ import annotations

import ipaddress

import pytest

from crawlers.netguard import is_address_allowed, parse_allowed_networks
from tests.sitekit import Route, SiteServer, run_crawl, write_registry

HOME = "<html><body><main><p>Welcome to the district.</p><a href='/news/'>News</a></main></body></html>"


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "0.0.0.0", "::1", "fe80::1",
     "fc00::5", "::ffff:127.0.0.1", "224.0.0.1", "100.64.0.1"],
)
def test_non_public_address_refused(address):
    assert not is_address_allowed(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_address_allowed(address):
    assert is_address_allowed(address)


def test_allowed_network_admits_its_addresses():
    allowed = parse_allowed_networks("127.0.0.1/32, 10.0.0.0/8")
    assert is_address_allowed("127.0.0.1", allowed)
    assert is_address_allowed("10.200.0.1", allowed)
    assert not is_address_allowed("127.0.0.2", allowed)
    assert not is_address_allowed("192.168.0.1", allowed)


def test_bad_network_names_entry():
    with pytest.raises(ValueError, match="invalid network 'localhost'"):
        parse_allowed_networks("127.0.0.1/32,localhost")


def test_parse_empty_networks():
    assert parse_allowed_networks("") == ()
    assert parse_allowed_networks(None) == ()
    assert parse_allowed_networks(["::1/128"]) == (ipaddress.ip_network("::1/128"),)


def crawl_site(tmp_path, website, settings):
    registry = write_registry(
        tmp_path / "registry.csv", [{"nces_id": "3399901", "name": "Guard Test SD", "state": "NH", "website": website}]
    )
    return run_crawl(tmp_path / "signals.db", f"registry={registry}", settings=settings)


def test_loopback_site_refused_by_default(tmp_path):
    with SiteServer({"/": Route(HOME)}) as site:
        result = crawl_site(tmp_path, site.host, {"CRAWL_ALLOW_NETWORKS": ""})
        assert result.returncode == 0, result.log[-2000:]
        assert site.requested_paths() == []
    assert "k12signals/blocked/address" in result.log
    assert "add its network to CRAWL_ALLOW_NETWORKS" in result.log


def test_public_name_with_private_address_refused(tmp_path):
    with SiteServer({"/": Route(HOME)}) as site:
        port = site.host.split(":")[1]
        settings = {
            "CRAWL_ALLOW_NETWORKS": "",
            "TWISTED_DNS_RESOLVER": "tests.resolvers.FixedHostsResolver",
            "TEST_HOSTS": "www.guard-test.example.org=127.0.0.1",
            "HTTPPROXY_ENABLED": "False",
        }
        result = crawl_site(tmp_path, f"www.guard-test.example.org:{port}", settings)
        assert site.requested_paths() == []
    assert "www.guard-test.example.org is at non-public address 127.0.0.1" in result.log


def test_named_site_allowed_when_network_listed(tmp_path):
    with SiteServer({"/": Route(HOME)}) as site:
        port = site.host.split(":")[1]
        settings = {
            "TWISTED_DNS_RESOLVER": "tests.resolvers.FixedHostsResolver",
            "TEST_HOSTS": "www.guard-test.example.org=127.0.0.1",
            # The test kit's dead proxy catches any name but 127.0.0.1; here the
            # test resolver answers for this one name and "not found" for others.
            "HTTPPROXY_ENABLED": "False",
        }
        result = crawl_site(tmp_path, f"www.guard-test.example.org:{port}", settings)
        assert "/" in site.requested_paths(), result.log[-2000:]


def test_redirect_to_unlisted_loopback_address_refused(tmp_path):
    with SiteServer({"/": Route(HOME)}) as target:
        target_port = target.host.split(":")[1]
        # 127.0.0.2 is loopback too, but outside the allowed 127.0.0.1/32.
        redirect = {"/": Route(b"", status=301, headers={"Location": f"http://127.0.0.2:{target_port}/"})}
        with SiteServer(redirect) as site:
            result = crawl_site(tmp_path, site.host, {})
            assert target.requested_paths() == []
    assert "non-public address 127.0.0.2" in result.log


def test_bad_allow_networks_stops_crawl(tmp_path):
    with SiteServer({"/": Route(HOME)}) as site:
        result = crawl_site(tmp_path, site.host, {"CRAWL_ALLOW_NETWORKS": "127.0.0.1/32,nonsense"})
        assert site.requested_paths() == []
    assert result.returncode == 2
    assert "invalid network 'nonsense'" in result.log
