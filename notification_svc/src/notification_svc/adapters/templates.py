"""Email bodies from Jinja2 templates, Spanish and English, HTML and plain text.

Templates format money with ``|money`` and instants with ``|when`` in their own language, and link
to the web app with ``web_app_url``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import jinja2

from notification_svc.application.ports import RenderedMessage, Renderer

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SUBJECTS = {
    ("EventCreated", "es"): "Tu evento «{name}» quedó registrado",
    ("EventCreated", "en"): 'Your event "{name}" was created',
    ("EventPublished", "es"): "«{name}» ya está publicado",
    ("EventPublished", "en"): '"{name}" is now published',
    ("OrderPaid", "es"): "Tus entradas para «{name}»",
    ("OrderPaid", "en"): 'Your tickets for "{name}"',
    ("OrderPaymentFailed", "es"): "Tu pago para «{name}» fue rechazado",
    ("OrderPaymentFailed", "en"): 'Your payment for "{name}" was declined',
    ("OrderExpired", "es"): "Tu pedido para «{name}» venció",
    ("OrderExpired", "en"): 'Your order for "{name}" expired',
    ("OrderRefunded", "es"): "Te reembolsamos tu pedido para «{name}»",
    ("OrderRefunded", "en"): 'We refunded your order for "{name}"',
}
LOCALES = ("es", "en")


@dataclass(frozen=True)
class _MoneyStyle:
    prefix: str
    suffix: str
    comma_decimal: bool  # "1.234,50" rather than "1,234.50"
    # None: two decimals, or none when the amount is whole (pesos are priced whole).
    places: int | None = 2


# The tickets' PDF (ticketing_svc) writes money the same way: Spain's conventions for euros and
# dollars in Spanish, each country's own for its peso, "<CODE> 1.234,50" for any other currency.
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


def format_money(value: Mapping[str, Any], language: str) -> str:
    """A message's money, ``{"amount": "1234.50", "currency": "EUR"}``, as a reader of ``language``
    writes it: "1.234,50 €" (es), "€1,234.50" (en), "COP 240.000". Decimal all the way: an amount
    is never a float."""
    try:
        amount = Decimal(str(value["amount"]))
    except (KeyError, InvalidOperation):
        raise ValueError("not an amount of money") from None
    if not amount.is_finite():
        raise ValueError("not an amount of money")
    code = str(value.get("currency", "")).upper()
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


def format_instant(value: str, language: str) -> str:
    """An ISO-8601 instant of a message, to the minute, in UTC (messages name no time zone)."""
    at = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)
    return at.strftime("%d/%m/%Y %H:%M UTC" if language == "es" else "%Y-%m-%d %H:%M UTC")


@jinja2.pass_context
def _money(context: jinja2.runtime.Context, value: Mapping[str, Any]) -> str:
    return format_money(value, context["language"])


@jinja2.pass_context
def _when(context: jinja2.runtime.Context, value: str) -> str:
    return format_instant(value, context["language"])


class JinjaRenderer(Renderer):
    def __init__(
        self,
        default_locale: str = "es",
        directory: Path = TEMPLATES,
        *,
        web_app_url: str = "http://127.0.0.1:5173",
    ) -> None:
        self._default = default_locale if default_locale in LOCALES else "es"
        self._web_app_url = web_app_url.rstrip("/")
        loader = jinja2.FileSystemLoader(str(directory))
        self._html = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)
        self._text = jinja2.Environment(loader=loader, autoescape=False, undefined=jinja2.StrictUndefined)  # noqa: S701 (plain text)
        for environment in (self._html, self._text):
            environment.filters.update(money=_money, when=_when)

    def render(self, message_type: str, locale: str, context: dict[str, Any]) -> RenderedMessage:
        language = locale.split("-", maxsplit=1)[0].lower() if locale else self._default
        if language not in LOCALES:
            language = self._default
        name = str(context.get("event", {}).get("name", ""))
        context = {**context, "language": language, "web_app_url": self._web_app_url}
        return RenderedMessage(
            subject=SUBJECTS[(message_type, language)].format(name=name),
            text=self._text.get_template(f"{language}/{message_type}.txt").render(context),
            html=self._html.get_template(f"{language}/{message_type}.html").render(context),
        )
