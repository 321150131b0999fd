"""A merchant's return origins and the hosted checkout's return_url check (domain/origins.py), and the use cases
that keep and apply them, on the in-memory store."""

from __future__ import annotations

import re

import pytest

from chalicelib.domain.errors import InvalidRequest, NotFound, ReturnUrlNotAllowed
from chalicelib.domain.model import Merchant, Principal
from chalicelib.domain.origins import (
    MAX_ORIGIN_LENGTH,
    MAX_RETURN_ORIGINS,
    ORIGIN_PATTERN,
    allowed_return,
    normalise_origin,
    normalise_origins,
    origin_of,
)
from chalicelib.services import admin, checkouts

from .test_checkout_services import ALICE, STAFF, open_checkout
from .test_services import fund

SHOP = ("https://shop.example.com", "https://pay.example.com:8443", "http://127.0.0.1:8080")


@pytest.fixture
def store():
    from .fakes import FakeLedgerStore

    s = FakeLedgerStore()
    s.put_merchant(Merchant("m1", "Shop"), "t")
    fund(s, "alice", 10_000)
    return s


# ---- the check ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example.com",
        "https://shop.example.com/",
        "https://shop.example.com/orders/1/done?paid=1#top",
        "https://shop.example.com?paid=1",
        "https://shop.example.com#paid",
        "HTTPS://SHOP.EXAMPLE.COM/Done",  # scheme and host compare without case, as a browser's origin
        "https://Shop.Example.Com/done",
        "https://shop.example.com:443/done",  # the default port is the origin without one
        "https://shop.example.com:0443/done",  # a browser reads the port as the number 443
        "https://pay.example.com:8443/back",
        "http://127.0.0.1:8080/app/demo-shop/return?order=o-1",
    ],
)
def test_a_url_on_a_registered_origin_is_allowed(url):
    assert allowed_return(url, SHOP)


@pytest.mark.parametrize(
    "url",
    [
        # another host that only starts or ends like the registered one
        "https://shop.example.com.evil.com/",
        "https://evil.com/shop.example.com",
        "https://evilshop.example.com/",
        "https://evil.shop.example.com/",  # a subdomain is another origin
        "https://example.com/",
        # userinfo: the host is what follows the @
        "https://shop.example.com@evil.com/",
        "https://shop.example.com:443@evil.com/",
        "https://user:pass@shop.example.com/",  # even the right host: a browser would ask, the check does not
        # no scheme, another scheme, the scheme without //
        "//evil.com/",
        "//shop.example.com/",
        "/relative/path",
        "shop.example.com/done",
        "javascript:alert(document.domain)",
        "JavaScript:alert(1)//https://shop.example.com",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://shop.example.com/",
        "https:shop.example.com/",
        "https:/shop.example.com/",
        "https:///shop.example.com/",
        # another scheme or port on the registered host
        "http://shop.example.com/",
        "https://shop.example.com:8443/",
        "https://shop.example.com:444/",
        "https://pay.example.com/",  # registered with :8443 only
        "https://127.0.0.1:8080/",  # registered as http
        "http://127.0.0.1/",
        "http://127.0.0.1:8081/",
        "http://localhost:8080/",  # another host than 127.0.0.1, though the same machine
        "https://shop.example.com:0/",
        "https://shop.example.com:65536/",
        "https://shop.example.com:99999/",
        "https://shop.example.com:/",
        "https://shop.example.com:-1/",
        # trailing dot: a host of its own to a browser
        "https://shop.example.com./",
        "https://shop.example.com../",
        # backslashes, which a browser reads as slashes
        "https:\\\\evil.com",
        "https:\\\\shop.example.com",
        "https://evil.com\\@shop.example.com/",
        "https://shop.example.com\\.evil.com/",
        "https://shop.example.com\\",
        "/\\evil.com",
        # whitespace and control characters (which a browser strips from a URL before reading it)
        " https://shop.example.com/",
        "https://shop.example.com/ ",
        "https://shop.example.com/\n",
        "https://shop.example.com\t/",
        "https://shop.exam\tple.com/",
        "https://evil.com\n.shop.example.com",
        "java\tscript:alert(1)",
        "https://shop.example.com/\x00",
        "https://shop.example.com/\x7f",
        "\x01https://shop.example.com/",
        "https://shop.example.com/\u3000",  # an ideographic space
        # IDN-ish: lookalike letters and percent-encoding are no registered ASCII host
        "https://shöp.example.com/",
        "https://shop.exаmple.com/",  # a Cyrillic а
        "https://xn--shp-sna.example.com/",
        "https://shop%2eexample.com/",
        "https://shop.example.com%2f@evil.com/",
        "https://shop.example.com%00.evil.com/",
        "https://ｓｈｏｐ.example.com/",  # fullwidth letters, which a browser folds to ASCII
        # IP literals and other hosts
        "https://[::1]/",
        "http://[::ffff:127.0.0.1]:8080/",
        "http://2130706433:8080/",  # 127.0.0.1 as a number
        "http://0x7f.0.0.1:8080/",
        # empty and odd
        "",
        " ",
        "https://",
        "https:",
        "https://:443/",
        "about:blank",
        "https://shop.example.com" + "/a" * 1100,  # longer than a return URL may be
    ],
)
def test_a_url_off_the_registered_origins_is_refused(url):
    assert not allowed_return(url, SHOP)


def test_a_merchant_without_origins_allows_no_return_url():
    assert not allowed_return("https://shop.example.com/", ())
    assert not allowed_return("https://shop.example.com/", [])


def test_an_internationalised_host_is_allowed_in_its_ascii_form_when_registered_so():
    origins = (normalise_origin("https://XN--SHP-SNA.example.com"),)
    assert allowed_return("https://xn--shp-sna.example.com/thanks", origins)
    assert not allowed_return("https://shöp.example.com/thanks", origins)


def test_the_origin_of_a_url_is_what_a_browser_compares():
    assert origin_of("HTTPS://Shop.Example.com:443/a?b#c") == "https://shop.example.com"
    assert origin_of("http://LOCALHOST:80/") == "http://localhost"
    assert origin_of("https://shop.example.com:8443") == "https://shop.example.com:8443"
    assert origin_of("https://shop.example.com@evil.com/") is None
    assert origin_of("javascript:alert(1)") is None


# ---- the registered origins -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://shop.example.com", "https://shop.example.com"),
        ("HTTPS://Shop.Example.COM", "https://shop.example.com"),
        ("https://shop.example.com:443", "https://shop.example.com"),
        ("https://shop.example.com:8443", "https://shop.example.com:8443"),
        ("https://a", "https://a"),
        ("https://xn--shp-sna.example.com", "https://xn--shp-sna.example.com"),
        ("https://10.0.0.7:65535", "https://10.0.0.7:65535"),
        ("http://localhost", "http://localhost"),
        ("http://LocalHost:8080", "http://localhost:8080"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
        ("http://127.0.0.1:5173", "http://127.0.0.1:5173"),
    ],
)
def test_an_origin_is_kept_lower_case_without_its_default_port(given, kept):
    assert normalise_origin(given) == kept
    assert re.fullmatch(ORIGIN_PATTERN, given)  # the document's pattern says the same


@pytest.mark.parametrize(
    "given",
    [
        "",
        "shop.example.com",
        "//shop.example.com",
        "https://",
        "https://shop.example.com/",
        "https://shop.example.com/path",
        "https://shop.example.com?q=1",
        "https://shop.example.com#f",
        "https://user@shop.example.com",
        "https://user:pw@shop.example.com",
        "https://shop.example.com.",
        "https://shop..example.com",
        "https://-shop.example.com",
        "https://shop-.example.com",
        "https://shop_1.example.com",
        "https://shöp.example.com",
        "https://shop%2eexample.com",
        "https://shop.example.com:0",
        "https://shop.example.com:00443",
        "https://shop.example.com:65536",
        "https://shop.example.com:",
        "https://[::1]",
        "http://shop.example.com",  # plain http only for this machine
        "http://127.0.0.2",
        "http://localhost.evil.com",
        "http://127.0.0.1.evil.com",
        "ftp://shop.example.com",
        "javascript:alert(1)",
        "https:\\\\shop.example.com",
        " https://shop.example.com",
        "https://shop.example.com ",
        "https://shop.example.com\n",
        "https://" + "a" * 64 + ".example.com",  # a label longer than 63
        "https://" + ".".join(["a" * 63] * 5),  # longer than an origin may be
    ],
)
def test_anything_but_an_origin_is_refused_with_its_code(given):
    with pytest.raises(InvalidRequest) as refused:
        normalise_origin(given)
    assert refused.value.code == "invalid_return_origin"
    assert refused.value.details["field"] == "return_origins"
    # and the document refuses it too: its pattern, or its maxLength (Python's $ admits a final newline, which the
    # view's fullmatch and JSON Schema's $ do not)
    if "\n" not in given:
        assert len(given) > MAX_ORIGIN_LENGTH or not re.fullmatch(ORIGIN_PATTERN, given)


def test_origins_are_kept_once_each_in_the_order_given():
    assert normalise_origins(["https://b.example", "HTTPS://B.EXAMPLE:443", "https://a.example"]) == (
        "https://b.example",
        "https://a.example",
    )


def test_a_bad_origin_is_named_by_its_place_in_the_list():
    with pytest.raises(InvalidRequest) as refused:
        normalise_origins(["https://a.example", "https://a.example/path"])
    assert (refused.value.code, refused.value.details["field"]) == ("invalid_return_origin", "return_origins.1")


def test_at_most_ten_origins():
    ten = [f"https://s{i}.example" for i in range(MAX_RETURN_ORIGINS)]
    assert len(normalise_origins(ten)) == MAX_RETURN_ORIGINS
    with pytest.raises(InvalidRequest) as refused:
        normalise_origins([*ten, "https://s10.example"])
    assert refused.value.code == "invalid_return_origin"


# ---- the use cases ----------------------------------------------------------------------------------------------


def test_a_merchant_keeps_its_origins_normalised_and_a_put_replaces_them(store):
    body = admin.put_merchant(store, "m1", "Shop", "active", ["HTTPS://Shop.Example.com:443"])
    assert body["return_origins"] == ["https://shop.example.com"]
    assert store.snapshot(merchant="m1").merchant.return_origins == ("https://shop.example.com",)
    admin.put_merchant(store, "m1", "Shop", "active")
    assert store.snapshot(merchant="m1").merchant.return_origins == ()


def test_a_checkout_answers_an_allowed_return_url_with_itself(store):
    admin.put_merchant(store, "m1", "Shop", "active", ["https://shop.example.com"])
    cid = open_checkout(store, 1)
    url = "https://shop.example.com/orders/o1/done?paid=1"
    seen = checkouts.get_checkout(store, ALICE, cid, url)
    assert (seen["checkout_id"], seen["return_url"]) == (cid, url)
    assert "return_url" not in checkouts.get_checkout(store, ALICE, cid)


def test_a_foreign_return_url_is_refused_and_shows_nothing_of_the_checkout(store):
    admin.put_merchant(store, "m1", "Shop", "active", ["https://shop.example.com"])
    cid = open_checkout(store, 1)
    with pytest.raises(ReturnUrlNotAllowed) as refused:
        checkouts.get_checkout(store, ALICE, cid, "https://shop.example.com.evil.com/")
    assert refused.value.details == {"field": "return_url"}
    assert cid not in refused.value.message


def test_a_merchant_that_registered_no_origin_allows_no_return_url(store):
    cid = open_checkout(store, 1)  # merchant m1 as the fixture made it: no origins
    with pytest.raises(ReturnUrlNotAllowed):
        checkouts.get_checkout(store, STAFF, cid, "https://shop.example.com/")


def test_another_customers_checkout_is_not_found_whatever_the_return_url(store):
    admin.put_merchant(store, "m1", "Shop", "active", ["https://shop.example.com"])
    cid = open_checkout(store, 1)
    for url in ("https://shop.example.com/", "https://evil.com/"):
        with pytest.raises(NotFound):
            checkouts.get_checkout(store, Principal("bob"), cid, url)
