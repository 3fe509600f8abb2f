"""One phone, however it was written (#15.9): `+57 301 555 0001`, `3015550001`
and `(301) 555-0001` received by a Colombian campaign are the same number.

A phone's stored key (contact_info.normalized) is its E.164 number without the
"+", read with the country of the campaign it came through (or the customer's
campaign). Stores written before keep the bare digits; so every match asks for
all the keys one number may have been stored under (`match_keys`), and old
and new rows find each other without rewriting the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# phonenumbers (~20 ms to import) is imported by the functions that use it:
# the TUI's first screen converts rows without parsing a phone (#16.6).
if TYPE_CHECKING:
    import phonenumbers

#: The country a number without "+" is read in when no campaign says otherwise.
DEFAULT_COUNTRY = "CO"


def digits_of(value: str) -> str:
    """The digits of a phone as stores before E.164 kept them (no leading 00)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return digits[2:] if digits.startswith("00") else digits


def _parse(value: str, country: str) -> phonenumbers.PhoneNumber | None:
    import phonenumbers

    text = value.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, (country or DEFAULT_COUNTRY).upper())
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def e164_key(value: str, country: str = DEFAULT_COUNTRY) -> str:
    """The stored key: E.164 digits (573015550001), or the bare digits when
    the text is not a possible number of that country."""
    import phonenumbers

    number = _parse(value, country)
    if number is None:
        return digits_of(value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).lstrip("+")


def match_keys(value: str, countries: tuple[str, ...] = (DEFAULT_COUNTRY,)) -> tuple[str, ...]:
    """Every key the same phone may be stored under: E.164 digits in each
    country, the national number (how a local number was kept before), and
    the digits as written. Sorted, no duplicates."""
    keys = {digits_of(value)}
    for country in countries or (DEFAULT_COUNTRY,):
        number = _parse(value, country)
        if number is None:
            continue
        keys.add(f"{number.country_code}{number.national_number}")
        keys.add(str(number.national_number))
        if number.italian_leading_zero:
            keys.add("0" * (number.number_of_leading_zeros or 1) + str(number.national_number))
    keys.discard("")
    return tuple(sorted(keys))


def prefix_keys(value: str, countries: tuple[str, ...] = (DEFAULT_COUNTRY,)) -> tuple[str, ...]:
    """A search's start of a number: as typed, and with each country's code
    in front when typed without "+" (a stored E.164 key starts with it)."""
    import phonenumbers

    digits = digits_of(value)
    if not digits:
        return ()
    keys = {digits}
    international = value.strip().startswith(("+", "00"))
    for country in countries or (DEFAULT_COUNTRY,):
        code = str(phonenumbers.country_code_for_region((country or DEFAULT_COUNTRY).upper()) or "")
        if not code:
            continue
        if not international and not digits.startswith("0"):
            keys.add(code + digits)  # a national start; new rows keep the country code
        elif international and digits.startswith(code) and len(digits) > len(code):
            keys.add(digits[len(code):])  # an international start; old rows kept the national number
    return tuple(sorted(keys))


def valid_country(code: str) -> bool:
    import phonenumbers

    return (code or "").upper() in phonenumbers.SUPPORTED_REGIONS
