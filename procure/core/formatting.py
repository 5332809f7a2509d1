"""French numbers and dates: the one parser and the one set of formatters Procure uses.

Forms, the CLI, declaration imports, documents and templates all read and write numbers here, so
that a value typed "1 234,5" (with a space, a no-break space or a narrow no-break space) is
accepted everywhere and shown everywhere the same way. Formatting uses Babel's `fr_FR` locale
(narrow no-break space between thousands, decimal comma, « 23 novembre 2026 »).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_currency, format_decimal

LOCALE = "fr_FR"
MAX_NUMBER_CHARS = 40  # longer than any amount a person types; bounds the parser's work

_SPACES = re.compile(r"[\s\u00a0\u202f]")
_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_INTEGER = re.compile(r"[+-]?\d+")


class NumberError(ValueError):
    """A text that is not a number in French notation; the message is French and shown as is."""


def _normalise(text: str) -> str:
    """Drop group separators (spaces of any kind) and read a decimal comma as a point."""
    compact = _SPACES.sub("", text)
    if "," in compact and "." in compact:
        raise NumberError(f"« {text} » mélange virgule et point : écrivez par exemple 1234,5.")
    return compact.replace(",", ".")


def parse_number(value: Any, *, integer: bool = False, unit: str | None = None) -> float | int:
    """Read a number typed in French ("1 234,5", "12,5 %", "3 000 €") or already typed.

    `unit`, when given, is a suffix allowed after the number ("€", "%"). Booleans, NaN and
    infinities are refused; `integer=True` refuses a fractional value. Raises `NumberError`.
    """
    if isinstance(value, bool) or value is None:
        raise NumberError("Une valeur numérique est attendue.")
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        number = float(value)
        if not math.isfinite(number):
            raise NumberError("Une valeur numérique finie est attendue.")
        if integer:
            if not number.is_integer():
                raise NumberError(f"« {_plain(number)} » n'est pas un nombre entier.")
            return int(number)
        return number
    text = str(value).strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise NumberError(f"Valeur trop longue ({len(text)} caractères) pour être un nombre.")
    if unit and text.endswith(unit):
        text = text[: -len(unit)].strip()
    compact = _normalise(text)
    if integer:
        if not _INTEGER.fullmatch(compact):
            raise NumberError(f"« {value} » n'est pas un nombre entier.")
        return int(compact)
    if not _PLAIN.fullmatch(compact):
        raise NumberError(f"« {value} » n'est pas un nombre.")
    try:
        return float(Decimal(compact))
    except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes these
        raise NumberError(f"« {value} » n'est pas un nombre.") from exc


def parse_optional_number(value: Any, *, integer: bool = False, unit: str | None = None):
    """`parse_number`, or None for an empty value (None or blank text)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_number(value, integer=integer, unit=unit)


def _plain(number: float) -> str:
    return f"{number:g}"


def format_number(value: float | int | None, digits: int | None = None, *, empty: str = "—") -> str:
    """1234.5 -> "1 234,5" (narrow no-break space); `digits` fixes the decimals.

    Without `digits`, integers have none and other values up to six significant decimals. A
    non-zero value that `digits` would round to zero keeps two significant digits ("0,000012"),
    up to six decimals; below that it reads "< 0,000001" (never scientific notation).
    """
    if value is None:
        return empty
    if isinstance(value, float) and not math.isfinite(value):
        return empty
    if digits is not None and value != 0 and abs(value) < 10 ** (-digits):
        return _format_small(value)
    if digits is None:
        if float(value).is_integer():
            return format_decimal(int(value), format="#,##0", locale=LOCALE)
        return format_decimal(value, format="#,##0.######", locale=LOCALE)
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


SMALL_DECIMALS = 6  # the most decimals a person is shown for a very small value


def _format_small(value: float | int) -> str:
    """A tiny non-zero value with two significant digits, or a bound below 10^-6."""
    if abs(value) < 10**-SMALL_DECIMALS:
        bound = format_decimal(10**-SMALL_DECIMALS, format="0.######", locale=LOCALE)
        return f"< {bound}" if value > 0 else f"> -{bound}"
    decimals = min(SMALL_DECIMALS, 1 - math.floor(math.log10(abs(value))))
    return format_decimal(round(value, decimals), format="0." + "#" * decimals, locale=LOCALE)


def format_money(amount: float | int | None, *, empty: str = "—") -> str:
    """1234.5 -> "1 234,50 €"."""
    if amount is None:
        return empty
    return format_currency(amount, "EUR", locale=LOCALE)


def format_date(day: date | datetime | None, *, empty: str = "—") -> str:
    """date(2026, 11, 23) -> "23 novembre 2026"."""
    if day is None:
        return empty
    if isinstance(day, datetime):
        day = day.date()
    return _babel_date(day, format="d MMMM y", locale=LOCALE)


def format_datetime(moment: datetime | None, *, empty: str = "—") -> str:
    """datetime -> "23/11/2026 14:05" (the short form used in tables and logs)."""
    if moment is None:
        return empty
    return _babel_datetime(moment, format="dd/MM/y HH:mm", locale=LOCALE)


def french_list(items: list[str]) -> str:
    """'a', 'a et b', 'a, b et c'."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


# Jinja filters, registered by the app factory: {{ x|number(2) }}, {{ x|money }}, {{ d|date_fr }}.
JINJA_FILTERS = {
    "number": format_number,
    "money": format_money,
    "date_fr": format_date,
    "datetime_fr": format_datetime,
}


_FRENCH_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_date(text: str) -> date:
    """Read a day typed in French ("01/12/2026", "1/12/2026") or sent by a date field
    ("2026-12-01"). Raises `ValueError` with a French message."""
    value = (text or "").strip()
    french = _FRENCH_DATE.fullmatch(value) if len(value) <= 10 else None
    iso = _ISO_DATE.fullmatch(value) if len(value) <= 10 else None
    try:
        if french:
            return date(int(french[3]), int(french[2]), int(french[1]))
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
    except ValueError:
        raise ValueError(f"« {value} » n'est pas une date qui existe.") from None
    raise ValueError(f"« {value[:20]} » n'est pas une date : écrivez-la jj/mm/aaaa.")


def format_timestamp(moment: datetime | None, *, empty: str = "—") -> str:
    """datetime -> "23/11/2026 14:05:09" in UTC (the audit log's precision)."""
    if moment is None:
        return empty
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%d/%m/%Y %H:%M:%S")
