"""Email bodies from Jinja2 templates, Spanish and English, HTML and plain text.

Templates format money with ``|money`` and instants with ``|when`` in their own language, and link
to the web app with ``web_app_url``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import jinja2

from notification_svc.application.ports import RenderedMessage, Renderer
from taquilla_runtime import money

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
    ("TicketTransferOffered", "es"): "Te enviaron una entrada para «{name}»",
    ("TicketTransferOffered", "en"): 'You were sent a ticket for "{name}"',
    ("TicketTransferred", "es"): "Entrada para «{name}» transferida",
    ("TicketTransferred", "en"): 'Ticket for "{name}" transferred',
    ("WaitlistOffered", "es"): "¡Hay lugares para ti en «{name}»!",
    ("WaitlistOffered", "en"): 'Places are waiting for you at "{name}"',
    ("RegistrationAttempted", "es"): "Alguien intentó registrarse con tu dirección",
    ("RegistrationAttempted", "en"): "Someone tried to register with your address",
    ("WebhookEndpointDisabled", "es"): "Desactivamos un webhook de tu organización",
    ("WebhookEndpointDisabled", "en"): "We disabled one of your organization's webhooks",
}
LOCALES = ("es", "en")


def format_money(value: Mapping[str, Any], language: str) -> str:
    """A message's money, ``{"amount": "1234.50", "currency": "EUR"}``, as a reader of ``language``
    writes it (taquilla_runtime.money, as the tickets' PDF does)."""
    try:
        amount = Decimal(str(value["amount"]))
    except (KeyError, InvalidOperation):
        raise ValueError("not an amount of money") from None
    return money.format_money(amount, str(value.get("currency", "")), language)


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
