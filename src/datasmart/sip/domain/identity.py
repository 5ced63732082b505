"""Swedish identity numbers for SIP: validate, normalise, digest, mask and encrypt.

A plan is about a named person, found again by their identity number. The number is
personal data of the most sensitive kind, so it is never stored in the clear (ADR 0004,
principle 5). For each person the database holds

- ``id_digest``: HMAC-SHA256 of the normalised number under a key derived from
  ``settings.SIP_IDENTITY_KEY``, for lookup and duplicate detection (a plain hash of a
  personnummer could be reversed by trying every date and serial number);
- ``id_masked``: ``YYYYMMDD-****`` for lists and headings;
- ``id_encrypted``: the full number, Fernet-encrypted under a second key derived from the
  same setting, for the person's own export and the FHIR export only.

Accepted numbers:

- **personnummer**: 10 digits ``YYMMDD-NNNC`` (``+`` instead of ``-`` once the person has
  turned 100) or 12 digits ``YYYYMMDD-NNNC``, separator optional; ``C`` is a Luhn check
  digit over the 10-digit form; the date must exist and not lie in the future;
- **samordningsnummer** (co-ordination number): as a personnummer with 60 added to the day;
- **reserve numbers** (reservnummer): regions issue their own formats to people without a
  personnummer (newborns not yet registered, unidentified patients, visitors). There is no
  national format, so after upper-casing and dropping spaces, ``-`` and ``+`` we accept
  6–20 characters ``A–Z``/``0–9``. A value of only digits and separators is always read as
  a personnummer, so that a mistyped personnummer is rejected rather than silently stored
  as a reserve number; pass ``kind=IdKind.RESERVE`` for an all-digit reserve number.

Only ASCII is accepted: digits 0–9, letters A–Z (any case), space, tab, ``-`` and ``+``.
Python's regex digit class, ``str.isdigit`` and ``int`` accept the digits of every script
(full-width ``２０１２…``, Arabic-Indic ``٢٠١٢…``), which would otherwise let the same
personnummer be stored as a second person and slip past the one-plan rule.

Errors are :class:`~datasmart.sip.domain.errors.SipValidationError` with a Swedish message that
says what is wrong and ``field`` naming the input (``person_id`` by default).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Final

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datasmart.checkdigits import luhn_check_digit
from datasmart.sip.domain.errors import SipValidationError

__all__ = [
    "IdKind",
    "IdentityNumber",
    "decrypt_identity",
    "encrypt_identity",
    "identity_digest",
    "luhn_check_digit",
    "parse_identity_number",
]


class IdKind(models.TextChoices):
    """Which kind of identity number a person has. Values are the API spelling."""

    PERSONNUMMER = "personnummer", gettext_lazy("Personnummer")
    SAMORDNINGSNUMMER = "samordningsnummer", gettext_lazy("Samordningsnummer")
    RESERVE = "reserve", gettext_lazy("Reservnummer")


#: Samordningsnummer add this to the day of birth.
SAMORDNING_DAY_OFFSET: Final = 60
# ASCII only: ``\d``, ``str.isdigit`` and ``int`` also accept other scripts' digits
# (full-width ``１``, Arabic-Indic ``١`` …), which would give one person a second number.
_PERSONNUMMER = re.compile(r"^([0-9]{2})?([0-9]{6})([-+]?)([0-9]{4})$")
_NUMERIC = re.compile(r"^[0-9 \t+-]+$")
_RESERVE = re.compile(r"^[A-Z0-9]{6,20}$")
_RESERVE_DROP = re.compile(r"[ \t+-]")
_SPACE = re.compile(r"[ \t]")
_EARLIEST_YEAR: Final = 1870  # nobody alive was born earlier


@dataclass(frozen=True)
class IdentityNumber:
    """A validated identity number.

    ``value`` is the normalised form: 12 digits ``YYYYMMDDNNNC`` for personnummer and
    samordningsnummer (the day keeps its +60), upper-case ``A–Z0–9`` for reserve numbers.
    ``birth_date`` is the real date of birth (None for reserve numbers).
    """

    kind: IdKind
    value: str
    birth_date: dt.date | None

    @property
    def masked(self) -> str:
        """What lists show: ``YYYYMMDD-****``; reserve numbers keep two characters."""
        if self.kind == IdKind.RESERVE:
            return f"{self.value[:2]}****"
        return f"{self.value[:8]}-****"

    @property
    def formatted(self) -> str:
        """The full number as people write it: ``YYYYMMDD-NNNC`` (reserve numbers as is)."""
        if self.kind == IdKind.RESERVE:
            return self.value
        return f"{self.value[:8]}-{self.value[8:]}"

    @property
    def digest(self) -> str:
        return identity_digest(self)

    def encrypt(self) -> str:
        return encrypt_identity(self.formatted)


def _error(message: str, field: str) -> SipValidationError:
    return SipValidationError(message, field=field)


def _subtract_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _resolve_century(yy: int, month: int, day: int, plus: bool, today: dt.date) -> int:
    """The year of a 10-digit number: the latest date not after today (with ``-``) or not
    after today minus 100 years (with ``+``, people who have turned 100)."""
    cutoff = _subtract_years(today, 100) if plus else today
    year = cutoff.year - (cutoff.year - yy) % 100
    try:
        if dt.date(year, month, day) > cutoff:
            year -= 100
    except ValueError:
        # No such date in that year (29 February in a non-leap year): try the century
        # before, which may be a leap year; the caller rejects the date if it is not.
        year -= 100
    return year


def _parse_personnummer(text: str, today: dt.date, field: str) -> IdentityNumber:
    compact = _SPACE.sub("", text)
    match = _PERSONNUMMER.match(compact)
    if not match:
        raise _error(
            _(
                "Personnumret ska ha 10 eller 12 siffror, till exempel ÅÅÅÅMMDD-NNNN "
                "eller ÅÅMMDD-NNNN."
            ),
            field,
        )
    century, yymmdd, separator, tail = match.groups()
    if century is not None and separator == "+":
        raise _error(
            _("Plustecken används bara i tiosiffriga personnummer (för den som fyllt 100 år)."),
            field,
        )
    ten = yymmdd + tail
    if luhn_check_digit(ten[:9]) != int(ten[9]):
        raise _error(_("Personnumret har fel kontrollsiffra (sista siffran)."), field)
    month, day_field = int(yymmdd[2:4]), int(yymmdd[4:6])
    kind = IdKind.PERSONNUMMER
    day = day_field
    if day_field > SAMORDNING_DAY_OFFSET:
        kind, day = IdKind.SAMORDNINGSNUMMER, day_field - SAMORDNING_DAY_OFFSET
    if century is not None:
        year = int(century + yymmdd[:2])
    else:
        year = _resolve_century(int(yymmdd[:2]), month, day, separator == "+", today)
    try:
        birth = dt.date(year, month, day)
    except ValueError:
        raise _error(
            _("Personnumret innehåller inget giltigt födelsedatum (%(date)s).")
            % {"date": f"{year:04d}-{yymmdd[2:4]}-{yymmdd[4:6]}"},
            field,
        ) from None
    if birth > today:
        raise _error(_("Födelsedatumet i personnumret ligger i framtiden."), field)
    if birth.year < _EARLIEST_YEAR:
        raise _error(_("Födelseåret i personnumret är orimligt tidigt."), field)
    return IdentityNumber(kind=kind, value=f"{year:04d}{yymmdd[2:]}{tail}", birth_date=birth)


def _parse_reserve(text: str, field: str) -> IdentityNumber:
    value = _RESERVE_DROP.sub("", text).upper()
    if not _RESERVE.match(value):
        raise _error(
            _(
                "Reservnumret ska ha 6–20 tecken och bara innehålla bokstäverna A–Z och "
                "siffror (mellanslag och bindestreck tas bort)."
            ),
            field,
        )
    return IdentityNumber(kind=IdKind.RESERVE, value=value, birth_date=None)


def parse_identity_number(
    raw: str,
    *,
    kind: IdKind | str | None = None,
    today: dt.date | None = None,
    field: str = "person_id",
) -> IdentityNumber:
    """Validate and normalise an identity number; raise :class:`SipValidationError`.

    ``kind`` None detects the kind: digits (with separators) are a personnummer or
    samordningsnummer, anything with a letter a reserve number. ``kind="reserve"`` forces
    a reserve number; ``personnummer``/``samordningsnummer`` require that kind.
    """
    text = (raw or "").strip()
    if not text:
        raise _error(_("Ange personnummer, samordningsnummer eller reservnummer."), field)
    if len(text) > 40:
        raise _error(_("Identitetsnumret är för långt."), field)
    if not text.isascii():
        raise _error(
            _(
                "Identitetsnumret får bara innehålla siffrorna 0–9, bokstäverna A–Z, "
                "mellanslag, bindestreck och plustecken (inga andra teckensnitts siffror "
                "eller tecken)."
            ),
            field,
        )
    today = today or timezone.localdate()
    if kind is not None:
        try:
            kind = IdKind(kind)
        except ValueError:
            raise _error(
                _("Okänd typ av identitetsnummer: %(kind)s.") % {"kind": kind}, "id_kind"
            ) from None
    if kind == IdKind.RESERVE or (kind is None and not _NUMERIC.match(text)):
        return _parse_reserve(text, field)
    number = _parse_personnummer(text, today, field)
    if kind is not None and number.kind != kind:
        if kind == IdKind.SAMORDNINGSNUMMER:
            raise _error(
                _("Ett samordningsnummer har 60 lagt till födelsedagen (dag 61–91)."), field
            )
        raise _error(_("Det här är ett samordningsnummer, inte ett personnummer."), field)
    return number


# --- keys, digest and encryption ---------------------------------------------------------


def _master_key() -> str:
    key = getattr(settings, "SIP_IDENTITY_KEY", "")
    if not key:
        raise ImproperlyConfigured("SIP_IDENTITY_KEY (DATASMART_SIP_IDENTITY_KEY) is not set")
    return str(key)


@functools.lru_cache(maxsize=8)
def _derived(master: str, purpose: bytes) -> bytes:
    """A 32-byte key for one purpose: digest and encryption never share key material."""
    return hmac.new(master.encode("utf-8"), b"datasmart.sip." + purpose, hashlib.sha256).digest()


@functools.lru_cache(maxsize=8)
def _fernet(master: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived(master, b"fernet")))


def identity_digest(number: IdentityNumber) -> str:
    """HMAC-SHA256 (hex) of the normalised number; reserve numbers have their own
    namespace so a reserve number can never collide with a personnummer."""
    namespace = "reserve" if number.kind == IdKind.RESERVE else "pnr"
    message = f"{namespace}:{number.value}".encode()
    return hmac.new(_derived(_master_key(), b"digest"), message, hashlib.sha256).hexdigest()


def encrypt_identity(value: str) -> str:
    """Fernet token (text) of ``value``: authenticated encryption with a timestamp."""
    return _fernet(_master_key()).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_identity(token: str) -> str:
    """The clear text of :func:`encrypt_identity`. A token made under another key is an
    operations error (the key was changed without re-encrypting), not a user error."""
    try:
        return _fernet(_master_key()).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "an identity number cannot be decrypted: SIP_IDENTITY_KEY differs from the key "
            "it was encrypted with"
        ) from exc
