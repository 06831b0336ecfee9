"""A ticket's QR code (SVG for the web, PNG for e-mail) and an order's printable tickets (A4 PDF).

The QR code holds the secret of ``ticket_signing`` as it is (base32, QR alphanumeric mode) at error
correction M (segno raises it when that costs no extra size), with the standard 4-module quiet zone.
The PDF embeds the subset of DejaVu Sans it uses (``fonts/``, shipped in the wheel), so Spanish text
(á, é, ñ, ¿) and the euro sign print whatever the machine has; the QR code is drawn as vector
squares, 60 mm wide. The same order always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import segno
from fpdf import FPDF

from taquilla_runtime import money

QR_ERROR = "M"
QR_BORDER = 4
QR_SIZE_MM = 60.0
SVG_TITLE = "Ticket QR code"
_FONTS = Path(__file__).parent / "fonts"
_FONT = "DejaVu"
# The PDF's creation date, fixed so one order always prints to the same bytes.
_CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class PrintableTicket:
    ticket_id: uuid.UUID
    zone_name: str
    holder_name: str
    price: Decimal
    currency: str
    secret: str


@dataclass(frozen=True)
class PrintableOrder:
    """An order's tickets to print; ``session_starts_at`` is printed in its own time zone, so pass
    it in the venue's. ``locale`` is "es" or "en" (a region such as "es-CO" is ignored; any other
    language prints in English)."""

    order_id: uuid.UUID
    event_name: str
    session_starts_at: dt.datetime | None
    venue: str | None
    locale: str
    tickets: Sequence[PrintableTicket]


_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "when": "Date",
        "venue": "Venue",
        "zone": "Zone",
        "holder": "Holder",
        "price": "Price",
        "ticket": "Ticket",
        "order": "Order",
        "count": "Ticket {n} of {total}",
        "footer": "Present this code at the entrance. Each code admits once.",
    },
    "es": {
        "when": "Fecha",
        "venue": "Lugar",
        "zone": "Zona",
        "holder": "Titular",
        "price": "Precio",
        "ticket": "Entrada",
        "order": "Pedido",
        "count": "Entrada {n} de {total}",
        "footer": "Presenta este código en la entrada. Cada código permite un único acceso.",
    },
}
_DAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"),
}  # fmt: skip


def _language(locale: str) -> str:
    language = locale.replace("_", "-").split("-", 1)[0].lower()
    return language if language in _LABELS else "en"


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    """``amount`` as a buyer of ``locale`` reads it: "25,50 €" (es), "€25.50" (en), "COP 20.000"."""
    return money.format_money(amount, currency, _language(locale))


def format_session_time(moment: dt.datetime, locale: str) -> str:
    """ "sábado, 14 de marzo de 2026, 21:30 CET" or "Saturday, 14 March 2026, 21:30 CET"."""
    language = _language(locale)
    day = _DAYS[language][moment.weekday()]
    month = _MONTHS[language][moment.month - 1]
    zone = f" {moment.tzname()}" if moment.tzinfo is not None and moment.tzname() else ""
    if language == "es":
        return f"{day}, {moment.day} de {month} de {moment.year}, {moment:%H:%M}{zone}"
    return f"{day}, {moment.day} {month} {moment.year}, {moment:%H:%M}{zone}"


def _qr(secret: str) -> segno.QRCode:
    if not secret:
        raise ValueError("a QR code needs a secret")
    return segno.make(secret, error=QR_ERROR, micro=False)


def qr_svg(secret: str) -> str:
    """A scalable SVG (viewBox, no fixed size) of ``secret``'s QR code, black on white, quiet zone."""
    out = io.BytesIO()
    _qr(secret).save(
        out,
        kind="svg",
        border=QR_BORDER,
        dark="#000",
        light="#fff",
        title=SVG_TITLE,
        omitsize=True,
        xmldecl=False,
        svgclass=None,
        lineclass=None,
        nl=False,
    )
    svg = out.getvalue().decode("utf-8")
    # role and aria-label make screen readers announce the code as one image with that name.
    return svg.replace("<svg ", '<svg role="img" aria-label="' + SVG_TITLE + '" ', 1)


def qr_png(secret: str, scale: int = 6) -> bytes:
    """A PNG of ``secret``'s QR code, ``scale`` pixels a module, for e-mails."""
    if scale < 1:
        raise ValueError("scale is at least one pixel a module")
    out = io.BytesIO()
    _qr(secret).save(out, kind="png", scale=scale, border=QR_BORDER, dark="#000", light="#fff")
    return out.getvalue()


def _draw_qr(pdf: FPDF, secret: str, x: float, y: float, size: float) -> None:
    matrix = _qr(secret).matrix
    module = size / (len(matrix) + 2 * QR_BORDER)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    origin = QR_BORDER * module
    for row_number, row in enumerate(matrix):
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            run = column
            while run < len(row) and row[run]:
                run += 1
            # One rectangle a run of dark modules, slightly overlapping the next row so no hairline
            # gap shows between rows in viewers that anti-alias.
            pdf.rect(
                x + origin + column * module,
                y + origin + row_number * module,
                (run - column) * module,
                module * 1.02,
                style="F",
            )
            column = run


def tickets_pdf(order: PrintableOrder) -> bytes:
    """An A4 PDF with one page a ticket: event, session, venue, zone, holder, ids, price, QR code."""
    if not order.tickets:
        raise ValueError("an order to print has at least one ticket")
    language = _language(order.locale)
    label = _LABELS[language]
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_creation_date(_CREATED)
    pdf.set_creator("Taquilla")
    pdf.set_title(order.event_name)
    pdf.set_lang(language)
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(20, 20, 20)
    pdf.add_font(_FONT, "", str(_FONTS / "DejaVuSans.ttf"))
    pdf.add_font(_FONT, "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
    width = pdf.w - pdf.l_margin - pdf.r_margin
    total = len(order.tickets)
    for number, ticket in enumerate(order.tickets, start=1):
        pdf.add_page()
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(_FONT, "", 10)
        pdf.cell(width, 6, label["count"].format(n=number, total=total), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(_FONT, "B", 22)
        pdf.multi_cell(width, 10, order.event_name, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        rows = []
        if order.session_starts_at is not None:
            rows.append((label["when"], format_session_time(order.session_starts_at, language)))
        if order.venue:
            rows.append((label["venue"], order.venue))
        rows += [
            (label["zone"], ticket.zone_name),
            (label["holder"], ticket.holder_name),
            (label["price"], format_money(ticket.price, ticket.currency, language)),
        ]
        for name, value in rows:
            pdf.set_font(_FONT, "", 10)
            pdf.cell(30, 8, name)
            pdf.set_font(_FONT, "B", 13)
            pdf.multi_cell(width - 30, 8, value, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(8)
        qr_x = (pdf.w - QR_SIZE_MM) / 2
        _draw_qr(pdf, ticket.secret, qr_x, pdf.get_y(), QR_SIZE_MM)
        pdf.set_y(pdf.get_y() + QR_SIZE_MM + 4)
        pdf.set_font(_FONT, "", 9)
        pdf.cell(width, 5, f"{label['ticket']}: {ticket.ticket_id}", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(width, 5, f"{label['order']}: {order.order_id}", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(pdf.h - 35)
        pdf.set_draw_color(0, 0, 0)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(3)
        pdf.set_font(_FONT, "B", 11)
        pdf.multi_cell(width, 6, label["footer"], align="C", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
