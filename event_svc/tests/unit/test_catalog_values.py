"""Cleaning and value objects: what text, money and links the catalog keeps."""

from decimal import Decimal

import pytest

from event_svc.domain.values import InputCheck, Money, Venue, clean_line, clean_text, fold


def test_a_line_loses_control_and_invisible_characters_and_extra_spaces() -> None:
    assert clean_line("  Noche\x00 de\tgala\n\u202eXSS\u200b  ") == "Noche de gala XSS"


def test_a_line_loses_markup_tags_but_keeps_comparisons() -> None:
    assert clean_line("Noche <b>de</b> Jazz <script>x</script> 3 < 4 > 2") == "Noche de Jazz x 3 < 4 > 2"


def test_plain_text_keeps_line_breaks_but_not_markup_or_controls() -> None:
    raw = "Hola<script>alert(1)</script>\r\n\r\n\r\n\r\nmundo <b>bold</b>\x07 a < b"
    assert clean_text(raw) == "Holaalert(1)\n\nmundo bold a < b"


def test_folding_ignores_case_accents_and_spacing() -> None:
    assert fold("  Sala   Ñandú ") == fold("sala nandu")
    assert Venue("Teatro Ángela", "León", "x").key == Venue("teatro angela", "LEON", "y").key


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [("25", "mxn", Money(Decimal("25.00"), "MXN")), ("0.5", "EUR", Money(Decimal("0.50"), "EUR"))],
)
def test_money_is_an_exact_decimal_with_an_iso_currency(amount: str, currency: str, expected: Money) -> None:
    check = InputCheck()
    assert check.money("price", amount, currency) == expected
    assert check.ok


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        ("1e3", "MXN", "price.amount"),
        ("-1", "MXN", "price.amount"),
        ("1.005", "MXN", "price.amount"),
        ("NaN", "MXN", "price.amount"),
        ("12345678901", "MXN", "price.amount"),
        ("10", "XXX", "price.currency"),
        ("10", "PESOS", "price.currency"),
    ],
)
def test_money_refuses_floats_exponents_negatives_and_unknown_currencies(
    amount: str, currency: str, field: str
) -> None:
    check = InputCheck()
    assert check.money("price", amount, currency) is None
    assert [p.field for p in check.problems] == [field]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "ftp://example.com/a.png",
        "http://cdn.example.com/a.png",
        "https://u:p@example.com/a.png",
        "https://exa mple.com/a.png",
        "http://",
        "https://example.com:99999/a.png",
    ],
)
def test_image_links_must_be_plain_https(url: str) -> None:
    check = InputCheck()
    assert check.web_url("image_url", url, max_length=2048) is None
    assert not check.ok


def test_an_https_image_link_is_kept_as_given() -> None:
    check = InputCheck()
    assert check.web_url("image_url", " https://cdn.example.com/a.png?x=1 ", max_length=2048) == (
        "https://cdn.example.com/a.png?x=1"
    )


def test_time_zones_must_be_iana_names() -> None:
    check = InputCheck()
    check.timezone("timezone", "America/Mexico_City")
    assert check.ok
    check.timezone("timezone", "Mars/Olympus")
    check.timezone("timezone", "../../etc/passwd")
    assert [p.field for p in check.problems] == ["timezone", "timezone"]
