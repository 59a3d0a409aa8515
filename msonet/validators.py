"""Validators shared by the forms and imports of several apps."""

import re

from django.core.exceptions import ValidationError

PHONE_MESSAGE = "Enter a telephone number, like 020 7946 0000 or +44 20 7946 0000"
# What a written telephone number may hold: digits, spaces, brackets, hyphens and a leading +.
PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ()-]+$")
# A UK number once written nationally: 0 and 9 or 10 more digits.
UK_NATIONAL = re.compile(r"^0[0-9]{9,10}$")


def tidy_phone(value: str) -> str:
    """The number with its runs of spaces (and other whitespace) made single spaces."""
    return " ".join((value or "").split())


def validate_uk_phone(value: str) -> None:
    """A UK telephone number, written nationally (020 7946 0000, 07700 900123) or internationally
    (+44 20 7946 0000, +44 (0)20 7946 0000, 0044 20 7946 0000); letters, extensions and numbers of
    the wrong length are refused. An empty value is left to the field's `required`."""
    text = tidy_phone(value)
    if not text:
        return
    if not PHONE_CHARACTERS.match(text):
        raise ValidationError(PHONE_MESSAGE, code="invalid_phone")
    digits = re.sub(r"[ ()-]", "", text)
    for prefix in ("+44", "0044"):
        if digits.startswith(prefix):
            digits = "0" + digits.removeprefix(prefix).removeprefix("0")
            break
    if not UK_NATIONAL.match(digits):
        raise ValidationError(PHONE_MESSAGE, code="invalid_phone")
