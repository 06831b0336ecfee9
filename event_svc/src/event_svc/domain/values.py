"""Value objects of the catalog and the cleaning every piece of text goes through before it is kept.

Text arrives from organizers and partners and is shown to buyers: control characters and invisible
direction overrides are removed, whitespace is normalised, descriptions are kept as plain text (markup
tags are dropped) and every length is bounded.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from event_svc.domain.errors import FieldProblem, InvalidInput

# Circulating ISO 4217 currencies (funds, metals and test codes are not prices of tickets).
CURRENCIES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
    GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
    KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK
    NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS
    SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST
    XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
    """.split()  # noqa: SIM905 (a table reads better than 170 quoted strings)
)
# NUMERIC(12,2): up to ten integer digits and two decimals, written with a dot, never as a float.
_AMOUNT = re.compile(r"^\d{1,10}(\.\d{1,2})?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")

# Zero-width characters, bidirectional overrides and the BOM: invisible, and able to disguise text.
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_CONTROL_EXCEPT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MARKUP_TAG = re.compile(r"</?[A-Za-z!][^<>]*>")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_line(value: str) -> str:
    """One line of plain text: controls become spaces, markup tags go, whitespace runs collapse."""
    value = _MARKUP_TAG.sub("", _INVISIBLE.sub("", unicodedata.normalize("NFC", value)))
    return " ".join(_ANY_CONTROL.sub(" ", value).split())


def clean_text(value: str) -> str:
    """Multi-line plain text: line breaks and tabs survive, other controls and markup tags do not."""
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    value = _MARKUP_TAG.sub("", _CONTROL_EXCEPT_LINES.sub("", _INVISIBLE.sub("", value)))
    lines = [line.rstrip() for line in value.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def fold(value: str) -> str:
    """A comparison key: accents dropped, case folded, whitespace collapsed ("Sala  Ñ" ~ "sala n")."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one ISO 4217 currency, exact to the cent."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount:.2f} {self.currency}"


@dataclass(frozen=True, slots=True)
class Venue:
    name: str
    city: str
    address: str
    latitude: float | None = None
    longitude: float | None = None

    @property
    def key(self) -> str:
        """Identifies the venue for the overlap rule: the same name in the same city is the same place."""
        return f"{fold(self.name)}|{fold(self.city)}"


E = TypeVar("E", bound=enum.Enum)


class InputCheck:
    """Collects every problem of a request instead of stopping at the first one.

    Each method returns the cleaned value (or a neutral value after recording a problem);
    :meth:`raise_if_any` raises :class:`InvalidInput` listing them all.
    """

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix
        self.problems: list[FieldProblem] = []

    def _path(self, field: str) -> str:
        return f"{self._prefix}.{field}" if self._prefix and field else (self._prefix or field)

    def nested(self, prefix: str) -> InputCheck:
        """A check for a part of the request that records into this one (``zones.2``)."""
        child = InputCheck(self._path(prefix))
        child.problems = self.problems
        return child

    def fail(self, field: str, message: str) -> None:
        self.problems.append(FieldProblem(self._path(field), message))

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_if_any(self) -> None:
        if self.problems:
            raise InvalidInput(self.problems)

    def line(self, field: str, value: str, *, max_length: int, min_length: int = 1) -> str:
        cleaned = clean_line(value)
        if len(cleaned) < min_length:
            self.fail(field, "is required" if min_length == 1 else f"needs at least {min_length} characters")
        elif len(cleaned) > max_length:
            self.fail(field, f"must be at most {max_length} characters")
        return cleaned

    def optional_line(self, field: str, value: str, *, max_length: int) -> str:
        return self.line(field, value, max_length=max_length, min_length=0)

    def text(self, field: str, value: str, *, max_length: int) -> str:
        cleaned = clean_text(value)
        if len(cleaned) > max_length:
            self.fail(field, f"must be at most {max_length} characters")
        return cleaned

    def choice(self, field: str, value: str, kind: type[E]) -> E | None:
        try:
            return kind(clean_line(value).lower())
        except ValueError:
            allowed = ", ".join(str(member.value) for member in kind)
            self.fail(field, f"must be one of: {allowed}")
            return None

    def whole_number(self, field: str, value: int, *, minimum: int, maximum: int) -> int:
        if not minimum <= value <= maximum:
            self.fail(field, f"must be between {minimum} and {maximum}")
        return value

    def money(self, field: str, amount: str, currency: str) -> Money | None:
        amount, currency = amount.strip(), currency.strip().upper()
        valid = True
        if not _AMOUNT.match(amount):
            self.fail(
                f"{field}.amount", 'must be a decimal string >= 0 with at most 2 decimals, e.g. "25.00"'
            )
            valid = False
        if not _CURRENCY.match(currency) or currency not in CURRENCIES:
            self.fail(f"{field}.currency", 'must be an ISO 4217 currency code, e.g. "MXN"')
            valid = False
        return Money(Decimal(amount).quantize(Decimal("0.01")), currency) if valid else None

    def web_url(self, field: str, value: str, *, max_length: int) -> str | None:
        """An https URL without credentials, or None when ``value`` is empty.

        Plain http is refused: the web app is served over https, where an http image is mixed content
        (blocked or flagged by browsers) and travels in the clear."""
        value = value.strip()
        if not value:
            return None
        problem = _url_problem(value, max_length)
        if problem:
            self.fail(field, problem)
            return None
        return value

    def timezone(self, field: str, value: str) -> str:
        name = value.strip()
        try:
            if not name or len(name) > 64:
                raise ZoneInfoNotFoundError(name)
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(field, 'must be an IANA time zone, e.g. "America/Mexico_City"')
        return name

    def aware(self, field: str, value: dt.datetime | None) -> dt.datetime | None:
        """A timestamp in UTC; None (after recording a problem) when missing or without an offset."""
        if value is None:
            self.fail(field, "is required")
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail(field, "must carry a UTC offset")
            return None
        return value.astimezone(dt.UTC)


def _url_problem(value: str, max_length: int) -> str | None:
    if len(value) > max_length:
        return f"must be at most {max_length} characters"
    if _ANY_CONTROL.search(value) or any(char.isspace() for char in value):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() != "https" or not parts.hostname:
        return "must be an https URL"
    if parts.username or parts.password:
        return "must not contain credentials"
    return None


def utc_iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
