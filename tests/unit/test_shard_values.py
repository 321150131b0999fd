"""The index shards stored on items keep their values: a job lists each shard, so a changed hash would hide
every item written before the change until it is written again."""

from __future__ import annotations

import hashlib

import pytest

from chalicelib.store.keys import BONUS_SHARDS, HOLD_SHARDS, REMIND_SHARDS, bonus_shard, hold_shard, remind_shard

USERS = ["alice", "u-0f3a9c2e11", "8d6c4a3e-2b1f-4e5d-9c7a-6b5e4d3c2b1a", "用户"]
PAYMENTS = ["pay_01a233769ae31d5a2b92ded2dd17", "pay_0000000000000000000000000000", "pay_ffffffffffffffffffffffffffff"]


@pytest.mark.parametrize("user_id", USERS)
def test_wallet_shards_are_the_hashes_they_always_were(user_id):
    digest = hashlib.sha256(user_id.encode()).hexdigest()
    assert bonus_shard(user_id) == str(int(digest, 16) % BONUS_SHARDS)
    assert remind_shard(user_id) == str(int(digest[:8], 16) % REMIND_SHARDS)


@pytest.mark.parametrize("payment_id", PAYMENTS)
def test_hold_shards_come_from_the_payment_ids_last_four_hex_digits(payment_id):
    assert hold_shard(payment_id) == str(int(payment_id[-4:], 16) % HOLD_SHARDS)


def test_known_values_are_pinned():
    assert (bonus_shard("alice"), remind_shard("alice"), hold_shard(PAYMENTS[0])) == ("0", "1", "7")
