"""Amounts of money as a reader of Spanish or English writes them, for documents and e-mails.

One place, so a buyer's PDF (ticketing_svc) and e-mails (notification_svc) agree: Spain's
conventions for euros and dollars in Spanish, each country's own for its peso, "<CODE> 1.234,50"
for any other currency. Decimal all the way: an amount is never a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class _MoneyStyle:
    prefix: str
    suffix: str
    comma_decimal: bool  # "1.234,50" rather than "1,234.50"
    # None: two decimals, or none when the amount is whole (pesos are priced whole).
    places: int | None = 2


_MONEY: dict[tuple[str, str], _MoneyStyle] = {
    ("es", "EUR"): _MoneyStyle("", " €", comma_decimal=True),
    ("en", "EUR"): _MoneyStyle("€", "", comma_decimal=False),
    ("es", "USD"): _MoneyStyle("", " US$", comma_decimal=True),
    ("en", "USD"): _MoneyStyle("$", "", comma_decimal=False),
    ("es", "COP"): _MoneyStyle("COP ", "", comma_decimal=True, places=None),
    ("en", "COP"): _MoneyStyle("COP ", "", comma_decimal=False, places=None),
    ("es", "MXN"): _MoneyStyle("$", " MXN", comma_decimal=False),
    ("en", "MXN"): _MoneyStyle("MX$", "", comma_decimal=False),
}


def format_money(amount: Decimal, currency: str, language: str) -> str:
    """``amount`` as a reader of ``language`` ("es" or "en") writes it: "1.234,50 €" (es),
    "€1,234.50" (en), "COP 240.000". Raises ValueError for anything but a finite Decimal."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError("an amount of money is a finite Decimal")
    code = currency.upper()
    style = _MONEY.get((language, code)) or _MoneyStyle(f"{code} ", "", comma_decimal=language == "es")
    places = style.places
    if places is None:
        places = 0 if amount == amount.to_integral_value() else 2
    rounded = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    digits = format(abs(rounded), f",.{places}f")  # Decimal's own formatting: no float on the way
    if style.comma_decimal:
        digits = digits.translate(str.maketrans(",.", ".,"))
    sign = "-" if rounded < 0 else ""
    return f"{sign}{style.prefix}{digits}{style.suffix}"
