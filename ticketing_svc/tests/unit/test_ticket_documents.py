"""The tickets' documents: QR codes that scan back to the secret, and a printable PDF a page a ticket.

The QR codes are decoded for real, by zxing-cpp, from the PNG, from the SVG's path and from the
squares drawn in the PDF, each rasterised here with Pillow.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import segno
import zxingcpp
from PIL import Image, ImageDraw
from pypdf import PdfReader

from ticketing_svc.adapters import ticket_documents
from ticketing_svc.adapters.ticket_documents import (
    PrintableOrder,
    PrintableTicket,
    format_money,
    format_session_time,
    qr_png,
    qr_svg,
    tickets_pdf,
)
from ticketing_svc.adapters.ticket_signing import TicketClaims, TicketKeyRing

SVG = "{http://www.w3.org/2000/svg}"
MADRID = ZoneInfo("Europe/Madrid")
RING = TicketKeyRing.generate("k1")


def make_secret() -> str:
    start = dt.datetime(2026, 3, 14, 18, 0, tzinfo=dt.UTC)
    claims = TicketClaims(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), start, start + dt.timedelta(hours=6))
    return RING.sign(claims)


def make_ticket(**overrides: object) -> PrintableTicket:
    fields: dict[str, object] = {
        "ticket_id": uuid.uuid4(),
        "zone_name": "Platea",
        "holder_name": "Begoña Ibáñez",
        "price": Decimal("25.50"),
        "currency": "EUR",
        "secret": make_secret(),
    }
    fields.update(overrides)
    return PrintableTicket(**fields)  # type: ignore[arg-type]


def make_order(**overrides: object) -> PrintableOrder:
    fields: dict[str, object] = {
        "order_id": uuid.uuid4(),
        "event_name": "¿Quién teme a la ópera? Gira 2026",
        "session_starts_at": dt.datetime(2026, 3, 14, 21, 30, tzinfo=MADRID),
        "venue": "Teatro Calderón, Madrid",
        "locale": "es",
        "tickets": [make_ticket(), make_ticket(holder_name="José Núñez", zone_name="Anfiteatro")],
    }
    fields.update(overrides)
    return PrintableOrder(**fields)  # type: ignore[arg-type]


def decode(image: Image.Image) -> list[str]:
    return [
        found.text for found in zxingcpp.read_barcodes(image) if found.format == zxingcpp.BarcodeFormat.QRCode
    ]


def paint(matrix: Sequence[Sequence[bool]], pixels: int = 4, border: int = 4) -> Image.Image:
    size = (len(matrix) + 2 * border) * pixels
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                left, top = (x + border) * pixels, (y + border) * pixels
                draw.rectangle((left, top, left + pixels - 1, top + pixels - 1), fill=0)
    return image


def svg_matrix(svg: str) -> list[list[bool]]:
    """The modules a segno SVG paints dark: its path is strokes of width 1 ("M x y.5 h n m dx dy")."""
    root = ET.fromstring(svg)
    _, _, width, height = (int(v) for v in root.attrib["viewBox"].split())
    grid = [[False] * width for _ in range(height)]
    (dark,) = [p for p in root.iter(f"{SVG}path") if p.get("stroke") == "#000"]
    x = y = 0.0
    for command, numbers in re.findall(r"([MmHh])([-\d.\s]+)", dark.attrib["d"]):
        values = [float(v) for v in numbers.split()]
        if command in "Mm":
            x, y = (values[0], values[1]) if command == "M" else (x + values[0], y + values[1])
        else:
            end = values[0] if command == "H" else x + values[0]
            for column in range(int(x), int(end)):
                grid[int(y)][column] = True
            x = end
    return grid


# --- QR codes ----------------------------------------------------------------------------------


def test_the_svg_is_scalable_titled_black_on_white_with_a_quiet_zone() -> None:
    secret = make_secret()

    svg = qr_svg(secret)

    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert "width" not in root.attrib
    assert "height" not in root.attrib
    assert root.find(f"{SVG}title") is not None
    assert root.find(f"{SVG}title").text == "Ticket QR code"  # type: ignore[union-attr]
    assert root.attrib["role"] == "img"
    fills = {p.get("fill") for p in root.iter(f"{SVG}path")} | {
        p.get("stroke") for p in root.iter(f"{SVG}path")
    }
    assert {"#000", "#fff"} <= fills
    grid = svg_matrix(svg)
    assert len(grid) == 49 + 2 * 4
    assert not any(grid[0] + grid[1] + grid[2] + grid[3] + grid[-1] + grid[-4])
    assert not any(row[c] for row in grid for c in (0, 1, 2, 3, -1, -2, -3, -4))


def test_the_svg_draws_exactly_the_modules_of_the_secret_and_scans_back_to_it() -> None:
    secret = make_secret()

    grid = svg_matrix(qr_svg(secret))

    expected = segno.make(secret, error="M", micro=False).matrix
    inner = [row[4:-4] for row in grid[4:-4]]
    assert inner == [[bool(m) for m in row] for row in expected]
    assert decode(paint(inner)) == [secret]


def test_the_png_scans_back_to_the_secret_at_the_scale_asked() -> None:
    secret = make_secret()

    png = qr_png(secret, scale=3)

    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.size == ((49 + 8) * 3, (49 + 8) * 3)
    assert decode(image.convert("L")) == [secret]
    assert Image.open(io.BytesIO(qr_png(secret))).size == ((49 + 8) * 6,) * 2


def test_qr_codes_refuse_an_empty_secret_or_a_zero_scale() -> None:
    with pytest.raises(ValueError, match="secret"):
        qr_svg("")
    with pytest.raises(ValueError, match="scale"):
        qr_png(make_secret(), scale=0)


# --- money and dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("25.50", "EUR", "es", "25,50 €"),
        ("25.5", "EUR", "en", "€25.50"),
        ("1234.5", "EUR", "es", "1.234,50 €"),
        ("1234.5", "eur", "en-GB", "€1,234.50"),
        ("0", "EUR", "es", "0,00 €"),
        ("19.99", "USD", "en", "$19.99"),
        ("1999.99", "USD", "es", "1.999,99 US$"),
        ("20000", "COP", "es", "COP 20.000"),
        ("1250000.00", "COP", "en", "COP 1,250,000"),
        ("20000.50", "COP", "es", "COP 20.000,50"),
        ("350", "MXN", "es", "$350.00 MXN"),
        ("1350.5", "MXN", "en", "MX$1,350.50"),
        ("0.005", "EUR", "es", "0,01 €"),
        ("-5", "EUR", "en", "-€5.00"),
        ("12.3", "GBP", "es", "GBP 12,30"),
        ("12.3", "EUR", "fr", "€12.30"),
    ],
)
def test_money_is_written_the_buyers_way_without_floats(
    amount: str, currency: str, locale: str, expected: str
) -> None:
    assert format_money(Decimal(amount), currency, locale) == expected


def test_money_refuses_floats_and_non_finite_amounts() -> None:
    with pytest.raises(ValueError, match="Decimal"):
        format_money(25.5, "EUR", "es")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Decimal"):
        format_money(Decimal("NaN"), "EUR", "es")


def test_the_session_time_is_written_in_the_orders_language_in_its_own_time_zone() -> None:
    starts = dt.datetime(2026, 3, 14, 21, 30, tzinfo=MADRID)

    assert format_session_time(starts, "es") == "sábado, 14 de marzo de 2026, 21:30 CET"
    assert format_session_time(starts, "en") == "Saturday, 14 March 2026, 21:30 CET"


# --- the PDF -----------------------------------------------------------------------------------


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_the_pdf_has_one_a4_page_a_ticket_with_its_text_in_spanish() -> None:
    order = make_order()

    pdf = tickets_pdf(order)

    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 2
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    for page, ticket in zip(reader.pages, order.tickets, strict=True):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        text = page.extract_text()
        for expected in (
            order.event_name,
            "sábado, 14 de marzo de 2026, 21:30 CET",
            "Teatro Calderón, Madrid",
            ticket.zone_name,
            ticket.holder_name,
            "25,50 €",
            str(ticket.ticket_id),
            str(order.order_id),
            "Titular",
            "Presenta este código en la entrada. Cada código permite un único acceso.",
        ):
            assert expected in text
    assert "Entrada 2 de 2" in reader.pages[1].extract_text()


def test_the_pdf_speaks_english_and_leaves_out_what_the_order_does_not_have() -> None:
    order = make_order(
        locale="en",
        venue=None,
        session_starts_at=None,
        event_name="Jazz at Noon",
        tickets=[make_ticket(holder_name="Ada Lovelace", price=Decimal("19.9"), currency="USD")],
    )

    text = PdfReader(io.BytesIO(tickets_pdf(order))).pages[0].extract_text()

    assert page_count(tickets_pdf(order)) == 1
    for expected in ("Jazz at Noon", "Holder", "Ada Lovelace", "Zone", "Platea", "$19.90", "Ticket 1 of 1"):
        assert expected in text
    assert "Present this code at the entrance. Each code admits once." in text
    assert "Venue" not in text
    assert "Date" not in text


def test_the_pdf_embeds_its_font_and_is_the_same_for_the_same_order() -> None:
    order = make_order()

    pdf = tickets_pdf(order)

    assert pdf == tickets_pdf(order)
    assert b"/FontFile2" in pdf  # a TrueType font embedded, not a viewer's core font
    assert b"DejaVuSans" in pdf


def test_each_page_draws_its_tickets_qr_code_at_least_4_cm_wide_and_it_scans() -> None:
    order = make_order()
    reader = PdfReader(io.BytesIO(tickets_pdf(order)))
    number = r"(-?\d+(?:\.\d+)?)"

    for page, ticket in zip(reader.pages, order.tickets, strict=True):
        content = page.get_contents().get_data().decode("latin-1")  # type: ignore[union-attr]
        rectangles = [
            tuple(float(v) for v in values)
            for values in re.findall(rf"{number} {number} {number} {number} re f", content)
        ]
        # The first filled rectangle is the code's white square (quiet zone included), then dark modules.
        left, top, side, _ = rectangles[0]
        assert side * 25.4 / 72 >= 59.9
        modules = rectangles[1:]
        module = min(width for _, _, width, _ in modules)
        symbol_side = (max(x + w for x, _, w, _ in modules) - min(x for x, _, _, _ in modules)) * 25.4 / 72
        assert symbol_side >= 40  # the code itself, without its quiet zone
        scale = 6 / module  # about six pixels a module
        image = Image.new("L", (round(side * scale), round(side * scale)), 255)
        draw = ImageDraw.Draw(image)
        for x, y, width, height in modules:
            # PDF y grows upwards and a negative height draws downwards from y.
            x0, y0 = (x - left) * scale, (top - y) * scale
            draw.rectangle((x0, y0, x0 + width * scale - 1, y0 - height * scale - 1), fill=0)
        assert decode(image) == [ticket.secret]


def test_an_order_without_tickets_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one ticket"):
        tickets_pdf(make_order(tickets=[]))


def test_the_fonts_ship_inside_the_package_with_their_licence() -> None:
    fonts = Path(ticket_documents.__file__).parent / "fonts"

    assert (fonts / "DejaVuSans.ttf").is_file()
    assert (fonts / "DejaVuSans-Bold.ttf").is_file()
    assert "Bitstream" in (fonts / "LICENSE-DejaVu.txt").read_text()
