"""What the API answers, field by field (the OpenAPI schema is drawn from these). The contact
fields are present only for a key with the contacts scope."""

import re

from rest_framework import serializers

from networks.models import Membership, Network
from officers.models import Appointment
from organisations.models import Organisation

# Every status of one duty (organisations.models.coverage_status).
DUTY_STATUSES = ["outside England", "closed", "named", "covered", "cover without an officer", "not expected", "missing"]


class RegionSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The NHS England region's ODS code (Y56 to Y63).")
    name = serializers.CharField()


class DutySerializer(serializers.Serializer):
    expected = serializers.BooleanField(help_text="Whether the organisation is expected to name this officer.")
    named = serializers.BooleanField(help_text="Whether it has an active named officer of its own.")
    status = serializers.ChoiceField(choices=DUTY_STATUSES)
    covered_by = serializers.CharField(
        allow_null=True, help_text="The ODS code of the organisation whose officer covers it, when covered."
    )


class OfficerSerializer(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=list(Appointment.NAMED_ROLES))
    role_label = serializers.CharField()
    since = serializers.DateField(help_text="The start of the appointment.")
    mhra_registered_on = serializers.DateField(allow_null=True)
    mhra_reference = serializers.CharField(allow_blank=True)
    work_email = serializers.EmailField(required=False, help_text="Contacts scope only.")
    phone = serializers.CharField(required=False, allow_blank=True, help_text="Contacts scope only.")


class OrganisationSerializer(serializers.Serializer):
    ods_code = serializers.CharField()
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=Organisation.Kind.values)
    type_label = serializers.CharField()
    region = RegionSerializer(allow_null=True)
    icb = serializers.CharField(allow_null=True, help_text="The parent ICB's ODS code.")
    opened_on = serializers.DateField(allow_null=True)
    closed_on = serializers.DateField(allow_null=True)
    successor = serializers.CharField(allow_null=True, help_text="The successor's ODS code, after a merger or closure.")
    status = serializers.ChoiceField(choices=["open", "closed", "not yet open"])
    mso = DutySerializer()
    mdso = DutySerializer()
    officers = OfficerSerializer(many=True, help_text="The active named MSO and MDSO.")
    generic_mailbox = serializers.CharField(required=False, allow_blank=True, help_text="Contacts scope only.")
    updated_at = serializers.DateTimeField()


class ChairSerializer(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=list(Membership.CHAIR_ROLES))
    since = serializers.DateField()
    work_email = serializers.EmailField(required=False, help_text="Contacts scope only.")
    phone = serializers.CharField(required=False, allow_blank=True, help_text="Contacts scope only.")


class NetworkSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Network.Kind.values)
    region = serializers.CharField(allow_null=True, help_text="The region's ODS code, for a regional network.")
    parent = serializers.CharField(allow_null=True, help_text="The parent network's slug.")
    chairs = ChairSerializer(many=True)


class CoverageRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    region = serializers.CharField(allow_blank=True, help_text='The region\'s code, "none" for no region, or "".')
    type = serializers.CharField(allow_blank=True, help_text='The organisation type, or "" for every type.')
    open_in_england = serializers.IntegerField()
    measures = serializers.DictField(child=serializers.IntegerField(), help_text="Each measure's count.")
    missing_mso = serializers.IntegerField()
    missing_mdso = serializers.IntegerField()


class CoverageSerializer(serializers.Serializer):
    day = serializers.DateField()
    england = CoverageRowSerializer()
    regions = CoverageRowSerializer(many=True)
    types = CoverageRowSerializer(many=True)
    open_outside_england = serializers.IntegerField(help_text="Open organisations outside England, never counted.")


REGION_PATTERN = r"^(?:[Yy][0-9]{2}|none)$"
ODS_CODES_PATTERN = r"^[A-Za-z0-9]{3,9}(?:,[A-Za-z0-9]{3,9}){0,99}$"


class OrganisationFiltersSerializer(serializers.Serializer):
    """The organisations list's query parameters."""

    region = serializers.RegexField(
        REGION_PATTERN,
        required=False,
        trim_whitespace=False,
        help_text='A region\'s ODS code (Y56 to Y63), or "none" for the organisations with no region.',
    )
    type = serializers.ChoiceField(required=False, choices=Organisation.Kind.values)
    ods_code = serializers.RegexField(
        ODS_CODES_PATTERN,
        required=False,
        trim_whitespace=False,
        help_text="One ODS code, or up to 100 separated by commas.",
    )
    updated_since = serializers.DateTimeField(
        required=False,
        help_text="Only organisations whose record, named officers (including officers who left) or covers "
        "changed at or after this ISO 8601 time.",
    )

    def validate_region(self, value):
        if not re.fullmatch(REGION_PATTERN.strip("^$"), value):  # "$" would let a final newline through
            raise serializers.ValidationError('Give a region\'s ODS code, such as Y56, or "none".')
        return value if value == "none" else value.upper()

    def validate_ods_code(self, value):
        if not re.fullmatch(ODS_CODES_PATTERN.strip("^$"), value):
            raise serializers.ValidationError("Give one ODS code, or up to 100 separated by commas.")
        return [code.upper() for code in value.split(",")]


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
