from decimal import Decimal

import pytest

from taquilla_runtime.money import format_money


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        ("1234.50", "EUR", "es", "1.234,50 €"),
        ("1234.50", "EUR", "en", "€1,234.50"),
        ("19.99", "USD", "en", "$19.99"),
        ("1999.99", "USD", "es", "1.999,99 US$"),
        ("240000.00", "COP", "es", "COP 240.000"),
        ("240000.50", "COP", "en", "COP 240,000.50"),
        ("1350.50", "MXN", "en", "MX$1,350.50"),
        ("12.3", "ARS", "es", "ARS 12,30"),
        ("-5.005", "EUR", "en", "-€5.01"),
    ],
)
def test_money_reads_as_its_readers_write_it(
    amount: str, currency: str, language: str, expected: str
) -> None:
    assert format_money(Decimal(amount), currency, language) == expected


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity"), 1.5])
def test_only_finite_decimals_are_money(amount: object) -> None:
    with pytest.raises(ValueError, match="finite Decimal"):
        format_money(amount, "EUR", "es")  # type: ignore[arg-type]
