"""The one French number parser and the formatters every room uses."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from procure.core.formatting import (
    MAX_NUMBER_CHARS,
    NumberError,
    format_date,
    format_datetime,
    format_money,
    format_number,
    parse_number,
    parse_optional_number,
)

SPACES = (" ", "\u00a0", "\u202f")


@pytest.mark.parametrize("space", SPACES)
def test_every_kind_of_space_groups_thousands(space):
    assert parse_number(f"1{space}234{space}567,25") == 1234567.25
    assert parse_number(f"1{space}000", integer=True) == 1000
    assert parse_number(f"3{space}000{space}€", unit="€") == 3000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,234.5", "mélange virgule et point"),
        ("douze", "n'est pas un nombre"),
        ("1e9", "n'est pas un nombre"),
        ("nan", "n'est pas un nombre"),
        ("1" * (MAX_NUMBER_CHARS + 1), "trop longue"),
    ],
)
def test_refusals_are_in_french(text, message):
    with pytest.raises(NumberError, match=message):
        parse_number(text)


def test_integers_booleans_and_empty_values():
    with pytest.raises(NumberError, match="entier"):
        parse_number("2,5", integer=True)
    with pytest.raises(NumberError):
        parse_number(True)
    with pytest.raises(NumberError):
        parse_number(float("inf"))
    assert parse_number(4.0, integer=True) == 4 and isinstance(parse_number(4.0, integer=True), int)
    assert parse_optional_number("  ") is None and parse_optional_number(None) is None
    assert parse_optional_number("12,5") == 12.5


@pytest.mark.parametrize("value", [0, 7, 1234, 1234567.5, 0.125, -98765.4321])
def test_formatted_numbers_read_back(value):
    assert parse_number(format_number(value)) == pytest.approx(value)
    assert parse_number(format_number(value, 2)) == pytest.approx(round(value, 2))


def test_french_typography():
    assert format_number(1234567.891, 2) == "1\u202f234\u202f567,89"
    assert format_number(None) == "—"
    assert format_number(0.00001, 2) == "0,00001"
    assert format_money(480000) == "480\u202f000,00\u00a0€"
    assert format_date(date(2026, 11, 23)) == "23 novembre 2026"
    assert format_datetime(datetime(2026, 11, 23, 14, 5)) == "23/11/2026 14:05"


def test_small_values_are_read_by_a_person_not_in_scientific_notation():
    # Two significant digits instead of a rounding to zero, at most six decimals, then a bound.
    assert format_number(0.0000123, 2) == "0,000012"
    assert format_number(0.0078125, 2) == "0,0078"
    assert format_number(-0.004, 1) == "-0,004"
    assert format_number(1e-9, 2) == "< 0,000001"
    assert format_number(-1e-8, 2) == "> -0,000001"
    assert format_number(0.004, 0) == "0,004"
    assert all("10^" not in format_number(10.0**-k, 2) for k in range(1, 12))
    assert parse_number(format_number(0.0000123, 2)) == 0.000012
