"""Merchant staff groups in the user pool: created once, and a directory outage refuses the PUT."""

from __future__ import annotations

import dataclasses

import pytest
from botocore.stub import Stubber

from chalicelib import identity
from chalicelib.config import get_settings
from chalicelib.domain.errors import Unavailable
from chalicelib.domain.model import Principal


@pytest.fixture
def settings():
    return dataclasses.replace(get_settings(), user_pool_id="us-east-1_pool", cognito_endpoint=None, region="us-east-1")


@pytest.fixture
def stub(settings):
    client = identity._client(settings.cognito_endpoint, settings.region)
    with Stubber(client) as s:
        yield s
        s.assert_no_pending_responses()


def expect_create(stub, error: str | None = None):
    params = {
        "UserPoolId": "us-east-1_pool",
        "GroupName": "merchant:m7",
        "Description": "Staff of merchant m7: may read and refund its payments",
    }
    if error:
        stub.add_client_error(
            "create_group",
            service_error_code=error,
            http_status_code=400 if error == "GroupExistsException" else 500,
            expected_params=params,
        )
    else:
        stub.add_response("create_group", {"Group": {"GroupName": "merchant:m7"}}, params)


def test_the_group_is_created_and_its_members_act_for_the_merchant(settings, stub):
    expect_create(stub)
    group = identity.ensure_merchant_group(settings, "m7")
    assert group == "merchant:m7"
    assert Principal("staff", frozenset({group})).merchant_ids == {"m7"}


def test_an_existing_group_is_fine(settings, stub):
    expect_create(stub, "GroupExistsException")
    assert identity.ensure_merchant_group(settings, "m7") == "merchant:m7"


def test_a_directory_failure_is_a_503_to_retry(settings, stub):
    expect_create(stub, "InternalErrorException")
    with pytest.raises(Unavailable):
        identity.ensure_merchant_group(settings, "m7")


def test_without_a_user_pool_nothing_is_called(settings):
    assert identity.ensure_merchant_group(dataclasses.replace(settings, user_pool_id=""), "m7") is None
