"""Stripe's test cards and what each one does here.

Card data never leaves this module but as a brand and the last four digits: nothing logs or stores
a full number.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import Enum


class Behaviour(Enum):
    SUCCEEDS = "succeeds"
    DECLINED = "declined"
    DELAYED = "delayed"


@dataclass(frozen=True)
class KnownCard:
    number: str
    brand: str
    behaviour: Behaviour
    description: str
    decline_code: str | None = None
    error_code: str = "card_declined"
    message: str = "Your card was declined."


KNOWN_CARDS = (
    KnownCard("4242424242424242", "visa", Behaviour.SUCCEEDS, "Succeeds at once"),
    KnownCard("5555555555554444", "mastercard", Behaviour.SUCCEEDS, "Succeeds at once (Mastercard)"),
    KnownCard(
        "4000000000000002",
        "visa",
        Behaviour.DECLINED,
        "Declined (generic decline)",
        decline_code="generic_decline",
    ),
    KnownCard(
        "4000000000009995",
        "visa",
        Behaviour.DECLINED,
        "Declined (insufficient funds)",
        decline_code="insufficient_funds",
        message="Your card has insufficient funds.",
    ),
    KnownCard(
        "4000000000000069",
        "visa",
        Behaviour.DECLINED,
        "Declined (expired card)",
        error_code="expired_card",
        message="Your card has expired.",
    ),
    KnownCard(
        "4000000000000127",
        "visa",
        Behaviour.DECLINED,
        "Declined (incorrect CVC)",
        error_code="incorrect_cvc",
        message="Your card's security code is incorrect.",
    ),
    KnownCard(
        "4000000000000077",
        "visa",
        Behaviour.DELAYED,
        "Succeeds after a delay: the session completes unpaid, then the payment succeeds",
    ),
)
_BY_NUMBER = {card.number: card for card in KNOWN_CARDS}


@dataclass(frozen=True)
class CardEntry:
    """What the buyer typed, checked; ``number`` stays in memory for the one charge attempt only."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str
    name: str

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def brand(self) -> str:
        card = _BY_NUMBER.get(self.number)
        if card is not None:
            return card.brand
        return {"4": "visa", "5": "mastercard", "3": "amex"}.get(self.number[:1], "unknown")


class CardRejected(Exception):
    """The entry is not a usable card (``code`` is Stripe's: incorrect_number, invalid_expiry_year...)."""

    def __init__(self, code: str, message: str, param: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param


def luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def parse_expiry(text: str) -> tuple[int, int]:
    """``MM/YY``, ``MM / YYYY`` or ``MMYY`` into (month, four-digit year)."""
    digits = "".join(char for char in text if char.isdigit())
    if "/" in text:
        month_text, _, year_text = text.partition("/")
        month_digits = "".join(c for c in month_text if c.isdigit())
        year_digits = "".join(c for c in year_text if c.isdigit())
    else:
        month_digits, year_digits = digits[:2], digits[2:]
    if not month_digits or not year_digits:
        raise CardRejected("invalid_expiry_month", "Your card's expiration date is incomplete.", "exp_month")
    year = int(year_digits)
    return int(month_digits), year + 2000 if year < 100 else year


def check_entry(
    number: str, exp_month: int, exp_year: int, cvc: str, name: str, *, today: datetime.date
) -> CardEntry:
    """A :class:`CardEntry` from the typed values, or :class:`CardRejected` with Stripe's code."""
    digits = "".join(char for char in number if char.isdigit())
    if len(digits) < 12 or len(digits) > 19 or not luhn_valid(digits):
        raise CardRejected("incorrect_number", "Your card number is incorrect.", "number")
    if not 1 <= exp_month <= 12:
        raise CardRejected("invalid_expiry_month", "Your card's expiration month is invalid.", "exp_month")
    if exp_year < today.year or (exp_year == today.year and exp_month < today.month) or exp_year > 2100:
        raise CardRejected("invalid_expiry_year", "Your card's expiration year is invalid.", "exp_year")
    if not (cvc.isdigit() and 3 <= len(cvc) <= 4):
        raise CardRejected("invalid_cvc", "Your card's security code is invalid.", "cvc")
    return CardEntry(digits, exp_month, exp_year, cvc, name.strip())


def known_card(entry: CardEntry) -> KnownCard:
    """The test card's behaviour; any other number is declined, as in Stripe's test mode."""
    card = _BY_NUMBER.get(entry.number)
    if card is not None:
        return card
    return KnownCard(
        entry.number,
        entry.brand,
        Behaviour.DECLINED,
        "not a test card",
        decline_code="test_mode_live_card",
        message=(
            "Your card was declined. Your request was in test mode, but used a non test card. "
            "For a list of valid test cards, visit: https://stripe.com/docs/testing."
        ),
    )
