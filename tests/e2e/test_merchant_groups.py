"""Creating a merchant creates its staff group in the user pool; its staff then act for it."""

from __future__ import annotations

import uuid

import boto3

from dev.stack import REGION


def idp(local_stack):
    return boto3.client(
        "cognito-idp",
        endpoint_url=local_stack.aws_endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_put_merchant_creates_its_staff_group_once(api, local_stack):
    merchant = f"m-{uuid.uuid4().hex[:8]}"
    groups_before = {
        g["GroupName"] for g in idp(local_stack).list_groups(UserPoolId=local_stack.user_pool_id, Limit=60)["Groups"]
    }
    assert f"merchant:{merchant}" not in groups_before
    for _ in range(2):  # a repeated PUT changes nothing and still answers the group
        r = api.request("PUT", f"/v1/admin/merchants/{merchant}", api.admin(), {"name": "Shop", "status": "active"})
        assert r.status_code == 200, r.text
        assert r.json()["staff_group"] == f"merchant:{merchant}"
    group = idp(local_stack).get_group(GroupName=f"merchant:{merchant}", UserPoolId=local_stack.user_pool_id)
    assert group["Group"]["GroupName"] == f"merchant:{merchant}"


def test_a_non_admin_cannot_create_a_merchant_or_its_group(api, local_stack):
    merchant = f"m-{uuid.uuid4().hex[:8]}"
    r = api.request(
        "PUT", f"/v1/admin/merchants/{merchant}", api.user("g-" + merchant), {"name": "Shop", "status": "active"}
    )
    assert r.status_code == 403
    names = {
        g["GroupName"] for g in idp(local_stack).list_groups(UserPoolId=local_stack.user_pool_id, Limit=60)["Groups"]
    }
    assert f"merchant:{merchant}" not in names
