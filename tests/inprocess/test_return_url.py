"""A merchant's registered return origins (PUT /v1/admin/merchants/{merchant_id}) and the hosted checkout's
return_url check (GET /v1/checkouts/{checkout_id}?return_url=), through the real app in this process on the
moto table: what is stored, what is answered, what is refused and that a refusal writes nothing."""

from __future__ import annotations

import uuid
import pytest

from tests.e2e.conftest import assert_nothing_written


@pytest.fixture(scope="module")
def shop(api):
    """A merchant of this module's own with two registered origins (one local), and a funded customer."""
    merchant = f"m-ret-{uuid.uuid4().hex[:8]}"
    r = api.request(
        "PUT",
        f"/v1/admin/merchants/{merchant}",
        api.admin(),
        {"name": "Return Shop", "return_origins": ["HTTPS://Shop.Example.com:443", "http://127.0.0.1:8080"]},
    )
    assert r.status_code == 200, r.text
    customer = api.unique_user("ret")
    api.fund(customer, 5000)
    return merchant, customer


def checkout_of(api, shop) -> str:
    merchant, customer = shop
    return api.open_checkout(customer, 1000, merchant_id=merchant)["checkout_id"]


def test_a_merchant_is_answered_and_stored_with_its_origins_normalised(api, shop):
    merchant, _ = shop
    again = api.request(
        "PUT",
        f"/v1/admin/merchants/{merchant}",
        api.admin(),
        {"name": "Return Shop", "return_origins": ["HTTPS://Shop.Example.com:443", "http://127.0.0.1:8080"]},
    )
    assert again.status_code == 200, again.text
    assert again.json()["return_origins"] == ["https://shop.example.com", "http://127.0.0.1:8080"]


def test_a_merchant_without_origins_is_answered_with_none(api):
    merchant = f"m-ret-{uuid.uuid4().hex[:8]}"
    r = api.request("PUT", f"/v1/admin/merchants/{merchant}", api.admin(), {"name": "Plain"})
    assert (r.status_code, r.json()["return_origins"]) == (200, [])


def test_an_allowed_return_url_is_answered_with_the_checkout(api, shop):
    _, customer = shop
    cid = checkout_of(api, shop)
    for url in ("https://shop.example.com/orders/1/done?paid=1#top", "http://127.0.0.1:8080/app/demo-shop/return"):
        r = api.request("GET", f"/v1/checkouts/{cid}", customer, params={"return_url": url})
        assert r.status_code == 200, r.text
        assert (r.json()["checkout_id"], r.json()["return_url"]) == (cid, url)


def test_without_return_url_the_checkout_is_answered_as_before(api, shop):
    _, customer = shop
    cid = checkout_of(api, shop)
    r = api.request("GET", f"/v1/checkouts/{cid}", customer)
    assert r.status_code == 200, r.text
    assert r.json()["checkout_id"] == cid and "return_url" not in r.json()


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example.com.evil.com/done",
        "https://shop.example.com@evil.com/",
        "https:\\\\evil.com",
        "//evil.com/",
        "javascript:alert(document.cookie)",
        "http://shop.example.com/",
        "https://shop.example.com:8443/",
        "http://localhost:8080/",
        "https://shop.example.com./",
        " https://shop.example.com/",
    ],
)
def test_a_foreign_return_url_is_refused_with_nothing_of_the_checkout(api, shop, writes, url):
    _, customer = shop
    cid = checkout_of(api, shop)
    before = writes.snapshot()
    r = api.request("GET", f"/v1/checkouts/{cid}", customer, params={"return_url": url})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "return_url_not_allowed"), r.text
    assert set(r.json()) == {"error"} and r.json()["error"]["details"] == {"field": "return_url"}
    assert cid not in r.text and customer.user_id not in r.text
    assert_nothing_written(before, writes.snapshot(), "a refused return_url wrote something")


def test_another_customers_checkout_is_not_found_whatever_the_return_url(api, shop):
    cid = checkout_of(api, shop)
    stranger = api.unique_user("ret-stranger")
    for url in ("https://shop.example.com/done", "https://evil.com/"):
        r = api.request("GET", f"/v1/checkouts/{cid}", stranger, params={"return_url": url})
        assert (r.status_code, r.json()["error"]["code"]) == (404, "checkout_not_found"), r.text


def test_a_put_without_origins_removes_them(api, shop):
    _, customer = shop
    other = f"m-ret-{uuid.uuid4().hex[:8]}"
    path = f"/v1/admin/merchants/{other}"
    put = api.request("PUT", path, api.admin(), {"name": "S", "return_origins": ["https://s.example"]})
    assert put.status_code == 200, put.text
    cid = api.open_checkout(customer, 100, merchant_id=other)["checkout_id"]
    url = "https://s.example/back"
    assert api.request("GET", f"/v1/checkouts/{cid}", customer, params={"return_url": url}).status_code == 200
    assert api.request("PUT", path, api.admin(), {"name": "S"}).json()["return_origins"] == []
    r = api.request("GET", f"/v1/checkouts/{cid}", customer, params={"return_url": url})
    assert r.status_code == 422, r.text


@pytest.mark.parametrize(
    ("origins", "field"),
    [
        (["https://shop.example.com/"], "return_origins.0"),
        (["https://ok.example", "https://shop.example.com/path"], "return_origins.1"),
        (["http://shop.example.com"], "return_origins.0"),
        (["https://user@shop.example.com"], "return_origins.0"),
        (["https://shop.example.com?x=1"], "return_origins.0"),
        (["https://shop.example.com."], "return_origins.0"),
        (["javascript:alert(1)"], "return_origins.0"),
        ([""], None),  # the model's own bound (minLength): invalid_request
        ([f"https://s{i}.example" for i in range(11)], None),  # maxItems: invalid_request
        ("https://shop.example.com", None),  # not a list
    ],
)
def test_a_bad_origin_is_refused_and_writes_nothing(api, writes, origins, field):
    merchant = f"m-ret-{uuid.uuid4().hex[:8]}"
    before = writes.snapshot()
    r = api.request("PUT", f"/v1/admin/merchants/{merchant}", api.admin(), {"name": "Bad", "return_origins": origins})
    error = r.json()["error"]
    if field is None:
        assert (r.status_code, error["code"]) == (400, "invalid_request"), r.text
    else:
        assert (r.status_code, error["code"], error["details"]["field"]) == (400, "invalid_return_origin", field)
    # neither the merchant nor its staff group (the user pool) was written
    assert_nothing_written(before, writes.snapshot(), "a refused origin wrote something")
