"""A network's membership list as rows for a CSV or XLSX file (written by msonet.spreadsheets)."""

# The readers of the files this portal wrote take the quote off text that starts with one of these.
from msonet.spreadsheets import FORMULA_PREFIXES  # noqa: F401

HEADERS = [
    "Organisation",
    "ODS code",
    "Type",
    "MSO coverage",
    "MDSO coverage",
    "Generic MSO mailbox",
    "Open flags",
    *(
        f"{role} {column}"
        for role in ("MSO", "MDSO")
        for column in (
            "name",
            "work email",
            "work telephone",
            "start date",
            "registered with the MHRA on",
            "MHRA registration reference",
            "details last confirmed",
        )
    ),
]


def _officer_columns(appointment, contact_visible: set[int]) -> list:
    if appointment is None:
        return [None] * 7
    person = appointment.person
    visible = person.pk in contact_visible
    return [
        person.full_name,
        person.work_email if visible else None,
        person.phone if visible else None,
        appointment.start_date,
        appointment.mhra_registered_on,
        appointment.mhra_reference,
        person.details_confirmed_on,
    ]


def membership_rows(organisations, contact_visible: set[int]) -> list[list]:
    """One row per organisation (from `membership.membership_list`), in the order of HEADERS; each
    officer's coverage as `Organisation.coverage_status` says it ("named", "covered", "missing",
    "not expected"...); an officer's email and telephone only where their id is in `contact_visible`."""
    return [
        [
            organisation.name,
            organisation.ods_code,
            organisation.get_kind_display(),
            organisation.mso_status,
            organisation.mdso_status,
            organisation.generic_mailbox,
            organisation.open_flag_count,
            *_officer_columns(organisation.named_mso, contact_visible),
            *_officer_columns(organisation.named_mdso, contact_visible),
        ]
        for organisation in organisations
    ]
