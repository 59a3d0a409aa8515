"""The validation of ODS codes, email addresses, dates and telephone numbers, each with its message:
the same validator wherever the value is entered (forms, imports), checked here on its own with
many generated values."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from msonet.forms import DateInputField
from msonet.validators import PHONE_EXTENSION_MESSAGE, PHONE_MESSAGE, tidy_phone, validate_uk_phone
from organisations.models import ods_code_validator
from tests.figures import figures
from tests.strategies import (
    BAD_ODS_CODES,
    BAD_PHONES,
    GOOD_PHONES,
    bad_date_parts,
    bad_email,
    bad_input_settings,
    bad_phone,
)


@bad_input_settings(max_examples=150)
@given(value=bad_phone)
def test_a_telephone_number_with_letters_or_of_the_wrong_length_is_refused_with_a_message(value):
    with pytest.raises(ValidationError) as error:
        validate_uk_phone(value)
    assert error.value.messages == [PHONE_EXTENSION_MESSAGE if "ext" in value else PHONE_MESSAGE]
    figures.add("bad_inputs", 1)


@pytest.mark.parametrize("value", GOOD_PHONES + ["+44 (0)20 7946 0000", "0044 20 7946 0000", "020-7946-0000"])
def test_uk_telephone_numbers_as_people_write_them_are_accepted(value):
    validate_uk_phone(value)


@pytest.mark.parametrize(
    "value",
    BAD_PHONES
    + [
        "+1 212 555 0100",
        "20 7946 0000",
        "0207",
        "00000000000",
        "0000 000 0000",
        "+44 0000 000000",
        "020 7946 000",
        "020 7946 00000",
        "0800 FLOWERS",
        "07700 900123",
    ],
)
def test_each_listed_bad_telephone_number_is_refused(value):
    with pytest.raises(ValidationError):
        validate_uk_phone(value)
    figures.add("bad_inputs", 1)


@pytest.mark.parametrize(
    "value, stored",
    [
        ("02079460000", "020 7946 0000"),
        ("+44 20 7946 0000", "020 7946 0000"),
        ("+44 (0)20 7946 0000", "020 7946 0000"),
        ("0044 20 7946 0000", "020 7946 0000"),
        ("020-7946-0000", "020 7946 0000"),
        ("  0161  496 0000 ", "0161 496 0000"),
        ("+447400123456", "07400 123456"),
        ("07400 123 456", "07400 123456"),
    ],
)
def test_a_uk_telephone_number_is_stored_in_the_national_format(value, stored):
    validate_uk_phone(value)
    assert tidy_phone(value) == stored


@pytest.mark.parametrize("value", ["020 7946 0000 ext. 12", "020 7946 0000 extension 4021", "020 7946 0000 x12"])
def test_a_telephone_number_with_an_extension_is_refused_with_its_own_message(value):
    with pytest.raises(ValidationError) as error:
        validate_uk_phone(value)
    assert error.value.messages == [PHONE_EXTENSION_MESSAGE]


@pytest.mark.parametrize("value", [code for code in BAD_ODS_CODES if code])
def test_a_malformed_ods_code_is_refused_with_its_format_in_the_message(value):
    with pytest.raises(ValidationError) as error:
        ods_code_validator(value)
    assert "3 to 9 capital letters and digits" in error.value.messages[0]
    figures.add("bad_inputs", 1)


@bad_input_settings(max_examples=150)
@given(value=bad_email.filter(lambda s: s.strip()))
def test_a_malformed_email_address_is_refused_by_the_email_fields(value):
    from django import forms

    field = forms.EmailField(max_length=254, error_messages={"invalid": "Enter an email address"})
    with pytest.raises(ValidationError) as error:
        field.clean(value)
    assert error.value.messages
    figures.add("bad_inputs", 1)


@bad_input_settings(max_examples=200)
@given(parts=bad_date_parts())
def test_the_date_boxes_refuse_any_non_date_with_a_message_naming_the_date(parts):
    """Impossible (31 February), partial, in words, of many digits: a message, never an exception."""
    field = DateInputField(name="The date you started", required=False)
    values = [parts["day"], parts["month"], parts["year"]]
    try:
        day = field.clean(values)
    except ValidationError as error:
        message = " ".join(error.messages)
        assert "date you started" in message.lower() or "null characters" in message.lower(), message
    else:
        # Accepted only when it is a real date (far past and future dates are refused by each form).
        assert day is None or isinstance(day, datetime.date)
    figures.add("bad_inputs", 1)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (["31", "2", "2024"], "The date you started must be a real date"),
        (["1", "13", "2024"], "The date you started must be a real date"),
        (["9" * 30, "1", "2024"], "The date you started must be a real date"),
        (["1", "9" * 30, "2024"], "The date you started must be a real date"),
        (["", "3", "2024"], "The date you started must include a day"),
        (["1", "3", "24"], "The year of the date you started must have 4 numbers"),
        (["one", "March", "2024"], "The date you started must be a real date"),
    ],
)
def test_each_kind_of_impossible_date_has_its_own_message(parts, message):
    with pytest.raises(ValidationError) as error:
        DateInputField(name="The date you started").clean(parts)
    assert error.value.messages == [message]
    figures.add("bad_inputs", 1)


@bad_input_settings(max_examples=40)
@given(year=st.integers(min_value=1000, max_value=1989))
def test_a_start_date_before_1990_is_refused(year):
    from registrations.forms import RegistrationRequestForm

    form = RegistrationRequestForm.__new__(RegistrationRequestForm)
    form.cleaned_data = {"start_date": datetime.date(year, 1, 1)}
    with pytest.raises(ValidationError) as error:
        form.clean_start_date()
    assert "after 1 January 1990" in error.value.messages[0]
    figures.add("bad_inputs", 1)
