"""Validators shared by the forms and imports of several apps.

Telephone numbers are read with phonenumbers (the port of Google's libphonenumber), as numbers of
the UK: written nationally (020 7946 0000, 0161 496 0000) or internationally (+44 20 7946 0000,
+44 (0)20 7946 0000, 0044 20 7946 0000), with spaces, brackets, dots or hyphens anywhere. The number
must be one the UK numbering plan allows: 00000000000, numbers of the wrong length, letters and
numbers of other countries are refused. A number is stored in the national format phonenumbers
gives ("020 7946 0000", "07712 345678"), so the same number always reads the same.

An extension is refused, with its own message: the field is a number that reaches the person
(a direct line or mobile), the number a tel: link dials; a switchboard and extension goes in
neither the field nor the import.

Ofcom's ranges kept for drama (07700 900xxx, 01632 960xxx) are not real numbers, and phonenumbers
refuses them; 020 7946 0xxx (London's drama range) is one it accepts, so the demo and the tests use it.
"""

import re

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError

PHONE_MESSAGE = "Enter a telephone number, like 020 7946 0000 or +44 20 7946 0000"
PHONE_EXTENSION_MESSAGE = (
    "Enter a telephone number without an extension, like 020 7946 0000: a direct line or a mobile number"
)
# What a written telephone number may hold: digits, spaces, brackets, dots, hyphens and a leading +.
PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ().-]+$")
# An extension written after the number: "ext. 12", "extension 12", "x12", "#12".
PHONE_EXTENSION = re.compile(r"(?:\bext(?:ension)?\.?|\bx|#)\s*[0-9]+\s*$", re.IGNORECASE)
UK_COUNTRY_CODE = 44


def _parse_uk_phone(value: str) -> phonenumbers.PhoneNumber:
    """The number as phonenumbers reads it, or ValidationError. `value` is not empty."""
    text = " ".join(value.split())
    if PHONE_EXTENSION.search(text):
        raise ValidationError(PHONE_EXTENSION_MESSAGE, code="phone_extension")
    # phonenumbers reads letters as the digits of a keypad ("0800 FLOWERS"); nobody means that here.
    if not PHONE_CHARACTERS.match(text):
        raise ValidationError(PHONE_MESSAGE, code="invalid_phone")
    digits = re.sub(r"[^0-9+]", "", text)
    # A national number starts with its trunk 0 (phonenumbers would also take "20 7946 0000").
    if not digits.startswith(("0", "+")):
        raise ValidationError(PHONE_MESSAGE, code="invalid_phone")
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        raise ValidationError(PHONE_MESSAGE, code="invalid_phone") from None
    if number.country_code != UK_COUNTRY_CODE or number.extension or not phonenumbers.is_valid_number(number):
        raise ValidationError(PHONE_MESSAGE, code="invalid_phone")
    return number


def tidy_phone(value: str) -> str:
    """A valid UK number in the national format ("020 7946 0000", "07712 345678"); anything else
    with its runs of whitespace made single spaces, for validate_uk_phone to refuse."""
    text = " ".join((value or "").split())
    if not text:
        return ""
    try:
        number = _parse_uk_phone(text)
    except ValidationError:
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def validate_uk_phone(value: str) -> None:
    """A UK telephone number, national or international, without an extension (see the module's
    docstring). The one check of the forms, the people import, the admin and the models' fields.
    An empty value is left to the field's `required`."""
    if not (value or "").strip():
        return
    _parse_uk_phone(value)


class UKPhoneField(forms.CharField):
    """A form field for a UK telephone number: checked by validate_uk_phone, and cleaned to the
    national format (the admin's, for the model fields that validate_uk_phone checks)."""

    default_validators = [validate_uk_phone]

    def clean(self, value):
        return tidy_phone(super().clean(value))
