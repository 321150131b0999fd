"""Money: integer minor units (fen) in one currency. Never floats."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import AmountExceedsLimit, InvalidRequest

LOTS = ("cash", "bonus")


def require_positive_amount(amount: object, limit: int, field: str = "amount") -> int:
    """Return ``amount`` if it is an int with 0 < amount <= limit; raise otherwise.

    Booleans are ints in Python and are refused explicitly.
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidRequest(f"{field} must be an integer number of fen", code="invalid_amount", field=field)
    if amount <= 0:
        raise InvalidRequest(f"{field} must be positive", code="invalid_amount", field=field)
    if amount > limit:
        raise AmountExceedsLimit(amount, limit)
    return amount


@dataclass(frozen=True)
class Lots:
    """Amounts per lot. As a balance both are >= 0; as a delta they are signed."""

    cash: int = 0
    bonus: int = 0

    @property
    def total(self) -> int:
        return self.cash + self.bonus

    def __add__(self, other: "Lots") -> "Lots":
        return Lots(self.cash + other.cash, self.bonus + other.bonus)

    def __sub__(self, other: "Lots") -> "Lots":
        return Lots(self.cash - other.cash, self.bonus - other.bonus)

    def __neg__(self) -> "Lots":
        return Lots(-self.cash, -self.bonus)

    def get(self, lot: str) -> int:
        return getattr(self, lot)

    def with_lot(self, lot: str, value: int) -> "Lots":
        return Lots(**{**self.as_dict(), lot: value})

    def as_dict(self) -> dict[str, int]:
        return {"cash": self.cash, "bonus": self.bonus}

    def as_balance(self) -> dict[str, int]:
        return {"cash": self.cash, "bonus": self.bonus, "total": self.total}

    def is_non_negative(self) -> bool:
        return self.cash >= 0 and self.bonus >= 0
