"""Points at their edges: what a payment earns (whole yuan, both multipliers, rounded down once), what is
earned pending, what a refund claws back, and the account as stored and as shown (docs/mutation.md)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from chalicelib.domain.points import Pending, PointsAccount, PointsEntry, PointsPolicy, claw_back, earn

NOW = datetime(2026, 11, 25, 2, 30, tzinfo=timezone.utc)


def test_a_payment_earns_one_point_per_whole_yuan_and_nothing_for_the_fen_left_over():
    assert PointsPolicy().earned(10_000) == 100
    assert PointsPolicy().earned(199) == 1


def test_a_merchant_giving_two_points_a_yuan_doubles_them():
    assert PointsPolicy(earn_per_yuan=2).earned(1000) == 20


def test_the_tier_and_the_promotion_multiply_whole_yuan_and_round_down_once():
    # 1 yuan x 1.5 (tier) = 1.5 -> 1; the 99 fen over the yuan never count
    assert PointsPolicy().earned(199, 150) == 1
    # 1 yuan x 1.5 x 1.5 = 2.25 -> 2 (rounding after the tier's factor would give 1 x 1.5 -> 1)
    assert PointsPolicy().earned(100, 150, 150) == 2
    assert type(PointsPolicy().earned(199, 150)) is int


def test_earning_nothing_leaves_the_account_as_it_was():
    account = PointsAccount(available=5)
    assert earn(account, 0, "pay_1", NOW, PointsPolicy()) is account


def test_one_point_earned_waits_the_return_window_before_it_is_available():
    account = earn(PointsAccount(available=5, lifetime_earned=5), 1, "pay_1", NOW, PointsPolicy(return_window_days=7))
    assert account.pending == (Pending(1, "2026-12-02T02:30:00.000Z", "pay_1"),)
    assert (account.available, account.lifetime_earned) == (5, 6)
    assert account.matured(datetime(2026, 12, 2, 2, 30, tzinfo=timezone.utc)).available == 6


def test_clawing_back_all_of_a_pending_lot_removes_the_lot():
    account = PointsAccount(available=10, pending=(Pending(30, "2026-12-02T02:30:00.000Z", "pay_1"),))
    after, shortfall = claw_back(account, 30, "pay_1")
    assert (after.pending, after.available, shortfall) == ((), 10, 0)


def test_the_account_is_stored_and_read_back_unchanged():
    account = PointsAccount(
        available=12,
        pending=(Pending(30, "2026-12-02T02:30:00.000Z", "pay_1"), Pending(4, "2026-12-03T00:00:00.000Z", "pay_2")),
        held=7,
        lifetime_earned=90,
        version=11,
    )
    doc = account.as_doc()
    assert doc == {
        "available": 12,
        "held": 7,
        "lifetime_earned": 90,
        "version": 11,
        "pending": [[30, "2026-12-02T02:30:00.000Z", "pay_1"], [4, "2026-12-03T00:00:00.000Z", "pay_2"]],
    }
    assert PointsAccount.from_doc(doc) == account


def test_an_account_read_from_the_table_has_whole_numbers_where_it_holds_decimals():
    doc = {
        "available": Decimal("12"),
        "held": Decimal("7"),
        "lifetime_earned": Decimal("90"),
        "version": Decimal("11"),
        "pending": [[Decimal("30"), "2026-12-02T02:30:00.000Z", "pay_1"]],
    }
    account = PointsAccount.from_doc(doc)
    assert account == PointsAccount(12, (Pending(30, "2026-12-02T02:30:00.000Z", "pay_1"),), 7, 90, 11)
    assert all(
        type(n) is int
        for n in (account.available, account.held, account.lifetime_earned, account.version, account.pending[0].amount)
    )


def test_an_account_stored_before_a_field_existed_reads_it_as_zero():
    assert PointsAccount.from_doc({"available": 5}) == PointsAccount(available=5)
    assert PointsAccount.from_doc({"held": 2}) == PointsAccount(held=2)
    assert PointsAccount.from_doc(None) == PointsAccount() == PointsAccount.from_doc({})


def test_an_entry_shows_the_change_of_the_total_and_the_account_after_it():
    after = PointsAccount(available=40, pending=(Pending(9, "2026-12-02T02:30:00.000Z", "pay_2"),), held=3)
    entry = PointsEntry(
        "u1",
        4,
        "pte_4",
        "refund",
        after,
        "2026-11-25T02:30:00.000Z",
        spent=0,
        earned=0,
        returned=20,
        clawed=15,
        shortfall=5,
        held=-3,
        refs={"payment_id": "pay_1"},
    )
    assert entry.as_view() == {
        "id": "pte_4",
        "type": "refund",
        "points": 10,
        "held": -3,
        "spent": 0,
        "earned": 0,
        "returned": 20,
        "clawed_back": 10,
        "shortfall": 5,
        "available_after": 40,
        "pending_after": 9,
        "held_after": 3,
        "payment_id": "pay_1",
        "created_at": "2026-11-25T02:30:00.000Z",
    }
