"""Identity numbers: personnummer, samordningsnummer, reserve numbers; digest, mask,
encryption. Property tests generate valid numbers and single-digit typos."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from datasmart.sip.domain.errors import SipValidationError
from datasmart.sip.domain.identity import (
    IdKind,
    decrypt_identity,
    encrypt_identity,
    identity_digest,
    luhn_check_digit,
    parse_identity_number,
)

from .sip_support import personnummer

TODAY = dt.date(2026, 11, 23)


def parse(value: str, **kwargs):  # type: ignore[no-untyped-def]
    return parse_identity_number(value, today=TODAY, **kwargs)


@pytest.mark.parametrize(
    ("raw", "value", "birth"),
    [
        ("19121212-1212", "191212121212", dt.date(1912, 12, 12)),
        ("191212121212", "191212121212", dt.date(1912, 12, 12)),
        ("121212-1212", "201212121212", dt.date(2012, 12, 12)),
        ("1212121212", "201212121212", dt.date(2012, 12, 12)),
        ("121212+1212", "191212121212", dt.date(1912, 12, 12)),
        (" 20121212 - 1212 ", "201212121212", dt.date(2012, 12, 12)),
    ],
)
def test_personnummer_forms_normalise_to_twelve_digits(raw: str, value: str, birth: dt.date):
    number = parse(raw)
    assert number.kind == IdKind.PERSONNUMMER
    assert number.value == value
    assert number.birth_date == birth
    assert number.masked == value[:8] + "-****"
    assert number.formatted == f"{value[:8]}-{value[8:]}"


def test_ten_digits_pick_the_latest_past_century():
    # 26-12-24 has not happened yet on 2026-11-23: the person was born in 1926.
    raw = personnummer(dt.date(1926, 12, 24), 123)[2:]
    assert parse(raw).birth_date == dt.date(1926, 12, 24)


def test_samordningsnummer_has_sixty_added_to_the_day():
    number = parse("19701063-2391")
    assert number.kind == IdKind.SAMORDNINGSNUMMER
    assert number.birth_date == dt.date(1970, 10, 3)
    assert number.masked == "19701063-****"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "Ange personnummer"),
        ("19121212-1213", "kontrollsiffra"),
        ("1912121212", "kontrollsiffra"),
        ("12345", "10 eller 12 siffror"),
        ("19121212+1212", "Plustecken"),
        ("20991212-1213", "framtiden"),
        ("19130230-1234", "giltigt födelsedatum"),
        ("A1!", "Reservnumret"),
    ],
)
def test_invalid_numbers_name_the_problem_in_swedish(raw: str, fragment: str):
    # Build numbers with a correct check digit where the test is about something else.
    if fragment in ("framtiden", "giltigt födelsedatum"):
        digits = raw.replace("-", "")
        raw = digits[:8] + "-" + digits[8:11] + str(luhn_check_digit(digits[2:11]))
    with pytest.raises(SipValidationError) as caught:
        parse(raw)
    assert caught.value.field == "person_id"
    assert fragment in caught.value.message


def test_reserve_numbers_are_normalised_and_kept_apart():
    number = parse("kir-123 45a")
    assert number.kind == IdKind.RESERVE
    assert number.value == "KIR12345A"
    assert number.birth_date is None
    assert number.masked == "KI****"
    forced = parse("1234567890", kind=IdKind.RESERVE)
    assert forced.kind == IdKind.RESERVE
    # The same digits as a personnummer and as a reserve number never share a digest.
    pnr = parse(personnummer(dt.date(1990, 1, 1), 1))
    assert identity_digest(pnr) != identity_digest(parse(pnr.value, kind=IdKind.RESERVE))


def test_a_numeric_typo_is_not_silently_a_reserve_number():
    with pytest.raises(SipValidationError, match="10 eller 12 siffror"):
        parse("19901010-123")


def test_kind_must_match_when_given():
    with pytest.raises(SipValidationError, match="samordningsnummer"):
        parse("19701063-2391", kind=IdKind.PERSONNUMMER)
    with pytest.raises(SipValidationError, match="60"):
        parse("19121212-1212", kind=IdKind.SAMORDNINGSNUMMER)
    with pytest.raises(SipValidationError) as caught:
        parse("19121212-1212", kind="passport")
    assert caught.value.field == "id_kind"


def test_field_name_can_be_chosen():
    with pytest.raises(SipValidationError) as caught:
        parse("x", field="identity")
    assert caught.value.field == "identity"


def test_digest_is_keyed_and_stable(settings):  # type: ignore[no-untyped-def]
    number = parse("19121212-1212")
    first = identity_digest(number)
    assert first == identity_digest(parse("121212+1212"))
    assert len(first) == 64
    assert "191212121212" not in first
    settings.SIP_IDENTITY_KEY = "another-key-another-key-another-key"
    assert identity_digest(number) != first


def test_encryption_round_trips_and_needs_the_same_key(settings):  # type: ignore[no-untyped-def]
    token = encrypt_identity("19121212-1212")
    assert "1212" not in token
    assert decrypt_identity(token) == "19121212-1212"
    assert encrypt_identity("19121212-1212") != token  # Fernet uses a fresh IV each time
    settings.SIP_IDENTITY_KEY = "another-key-another-key-another-key"
    with pytest.raises(ImproperlyConfigured):
        decrypt_identity(token)
    settings.SIP_IDENTITY_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        encrypt_identity("x")


# --- properties ----------------------------------------------------------------------------

birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
serials = st.integers(min_value=0, max_value=999)


@hypothesis_settings(max_examples=300, deadline=None)
@given(birth=birth_dates, serial=serials, samordning=st.booleans(), twelve=st.booleans())
def test_generated_valid_numbers_pass(
    birth: dt.date, serial: int, samordning: bool, twelve: bool
) -> None:
    raw = personnummer(birth, serial, samordning=samordning)
    if not twelve:
        age_100 = birth <= dt.date(TODAY.year - 100, TODAY.month, TODAY.day)
        raw = raw[2:8] + ("+" if age_100 else "-") + raw[9:]
    number = parse(raw)
    assert number.birth_date == birth
    assert number.kind == (IdKind.SAMORDNINGSNUMMER if samordning else IdKind.PERSONNUMMER)
    assert number.value == personnummer(birth, serial, samordning=samordning).replace("-", "")


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    birth=birth_dates,
    serial=serials,
    position=st.integers(min_value=0, max_value=9),
    delta=st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_change_fails(
    birth: dt.date, serial: int, position: int, delta: int
) -> None:
    digits = list(personnummer(birth, serial).replace("-", "")[2:])  # the 10 Luhn digits
    digits[position] = str((int(digits[position]) + delta) % 10)
    raw = "".join(digits[:6]) + "-" + "".join(digits[6:])
    with pytest.raises(SipValidationError):
        parse(raw)
