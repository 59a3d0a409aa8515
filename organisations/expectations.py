"""The national lead's settings of who must name an officer and who covers whom.

What each type of organisation is expected to have (`TypeExpectation`, with the pharmacy company
threshold), the exceptions for one organisation (`ExpectationOverride`) and the covering
arrangements (`Cover`) are changed only through these functions: the lead's pages and the admin
both call them, so no path can bypass a rule. organisations.coverage and compliance.coverage read
what they write.

Every function is keyword-only and runs in one transaction; every change keeps a history row with
who made it and the reason they gave (the first 100 characters; the whole reason on the row where
the model has a reason field, so each historical version keeps it too). A refusal is raised as a
ValidationError with a message for the person using the page, and writes nothing. Who may call them
is the caller's check: the pages are the national lead's, the admin checks its own permissions.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from msonet.history import record_change
from users.models import User

from .coverage import boolean, expected_by_rule, expected_by_type
from .models import (
    DEFAULT_PHARMACY_THRESHOLD,
    Cover,
    CoverRole,
    Duty,
    ExpectationOverride,
    Organisation,
    TypeExpectation,
)

REASON_MAX_LENGTH = 500
# More community pharmacies than England has (about 10,500): a threshold above it is a typing error.
THRESHOLD_MAX = 20_000

Kind = Organisation.Kind
EXPECTATION_FIELDS = ("expects_mso", "expects_mdso", "expects_mailbox")
THRESHOLD_FIELD = "own_officer_threshold"
PHARMACY_NAMES_NOTHING = "A community pharmacy never names its own officers: its company answers for it."


def _clean_reason(reason: str) -> str:
    """The reason with its spacing tidied; refused when empty, too long or not storable text."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("Give the reason for the change.", code="reason_required")
    if "\x00" in reason:
        raise ValidationError("The reason cannot contain a NUL character.", code="reason_invalid")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            f"The reason must be {REASON_MAX_LENGTH} characters or fewer (it has {len(reason)}).",
            code="reason_too_long",
        )
    return reason


def _full_clean(instance) -> None:
    """The model's own checks (its fields and database constraints), as messages."""
    try:
        instance.full_clean()
    except ValidationError as error:
        raise ValidationError(error.messages) from None


def _lock(queryset) -> None:
    """Lock the rows of `queryset` until the transaction ends (in order, so two locks never cross)."""
    list(queryset.select_for_update().order_by("pk").values_list("pk", flat=True))


def _on(day: datetime.date) -> str:
    return f"{day:%-d %B %Y}"


# Expectations by type.


def type_expectation_check(*, kind: str, values: dict) -> None:
    """Refuse a change to one type's expectations that breaks a rule: see type_expectations_set."""
    if kind not in Kind.values:
        raise ValidationError(f"There is no type of organisation called {kind!r}.", code="invalid_kind")
    label = Kind(kind).label
    unknown = set(values) - {*EXPECTATION_FIELDS, THRESHOLD_FIELD}
    if unknown:
        raise ValidationError(
            f"{label}: only the expectations and the threshold can be set, not {', '.join(sorted(unknown))}.",
            code="invalid_field",
        )
    for name in EXPECTATION_FIELDS:
        if name in values and not isinstance(values[name], bool):
            raise ValidationError(f"{label}: say yes or no for each expectation.", code="invalid_expectation")
    if kind == Kind.PHARMACY and any(values.get(name) for name in EXPECTATION_FIELDS):
        raise ValidationError(PHARMACY_NAMES_NOTHING, code="pharmacy_expects_nothing")
    if THRESHOLD_FIELD not in values:
        return
    threshold = values[THRESHOLD_FIELD]
    if kind != Kind.PHARMACY_COMPANY:
        if threshold is not None:
            raise ValidationError(
                f"{label}: only community pharmacy companies have a threshold of pharmacies.",
                code="threshold_not_for_kind",
            )
        return
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        raise ValidationError(
            "The threshold must be a whole number of pharmacies, 0 or more.", code="threshold_not_whole"
        )
    if threshold < 0:
        raise ValidationError("The threshold of pharmacies cannot be below 0.", code="threshold_negative")
    if threshold > THRESHOLD_MAX:
        raise ValidationError(
            f"The threshold must be {THRESHOLD_MAX:,} pharmacies or fewer.", code="threshold_too_large"
        )


def type_expectations_set(*, changes: dict[str, dict], user: User | None, reason: str) -> int:
    """Set what organisations of each type given are expected to have: `changes` maps a type
    (Organisation.Kind) to the values to set among expects_mso, expects_mdso, expects_mailbox (bools)
    and, for community pharmacy companies only, own_officer_threshold (a whole number, 0 or more).
    Values left out are unchanged. Returns the number of types changed, each kept in its history.

    Refused, with nothing written: an unknown type or field, any expectation for a community
    pharmacy (its company answers for it), a threshold for any other type or one that is not a whole
    number from 0 up, and no reason."""
    reason = _clean_reason(reason)
    for kind, values in changes.items():
        type_expectation_check(kind=kind, values=values)
    changed = 0
    with transaction.atomic():
        rows = {row.kind: row for row in TypeExpectation.objects.select_for_update().filter(kind__in=list(changes))}
        for kind, values in changes.items():
            row = rows.get(kind) or TypeExpectation(
                kind=kind, own_officer_threshold=DEFAULT_PHARMACY_THRESHOLD if kind == Kind.PHARMACY_COMPANY else None
            )
            if row.pk is not None and all(getattr(row, name) == value for name, value in values.items()):
                continue
            for name, value in values.items():
                setattr(row, name, value)
            _full_clean(row)
            record_change(row, user=user, reason=reason)
            row.save()
            changed += 1
    return changed


def type_expects(organisation: Organisation, day: datetime.date | None = None) -> dict[str, bool]:
    """For each duty, whether the organisation's type alone expects it of the organisation on `day`
    (today), by organisations.coverage's rule: for a pharmacy company, only above the threshold of
    open pharmacies in England. Exceptions and covers aside. One query."""
    day = day or timezone.localdate()
    row = (
        Organisation.objects.filter(pk=organisation.pk)
        .values(**{duty: boolean(expected_by_type(duty, day)) for duty in Duty.values})
        .get()
    )
    return {duty: bool(row[duty]) for duty in Duty.values}


# Exceptions for one organisation.


def expectation_override_check(*, organisation: Organisation, duty: str, expected: bool | None) -> None:
    """Refuse an exception that breaks a rule: see expectation_override_set."""
    if duty not in Duty.values:
        raise ValidationError("Choose a named MSO, a named MDSO or the generic mailbox.", code="invalid_duty")
    if expected is None:
        return
    if organisation.kind == Kind.PHARMACY:
        raise ValidationError(PHARMACY_NAMES_NOTHING, code="pharmacy_expects_nothing")
    if expected and not Organisation.objects.in_england(timezone.localdate()).filter(pk=organisation.pk).exists():
        raise ValidationError(
            f"{organisation.name} is outside England, where the network expects nothing of any organisation.",
            code="outside_england",
        )


def expectation_override_set(
    *, organisation: Organisation, duty: str, expected: bool | None, reason: str, user: User | None
) -> ExpectationOverride | None:
    """Make `organisation` expected (True) or not expected (False) to have `duty` (a Duty) whatever
    its type's rule says, with the reason; None removes the exception, so the type's rule applies
    again. Returns the exception in force afterwards (None when there is none).

    Refused, with nothing written: a community pharmacy (it never names its own officer: its
    company answers for it), "expected" for an organisation outside England, and no reason."""
    reason = _clean_reason(reason)
    expectation_override_check(organisation=organisation, duty=duty, expected=expected)
    with transaction.atomic():
        _lock(Organisation.objects.filter(pk=organisation.pk))
        override = ExpectationOverride.objects.filter(organisation=organisation, duty=duty).first()
        if expected is None:
            if override is not None:
                record_change(override, user=user, reason=reason)
                override.delete()
            return None
        if override is not None and override.expected == expected and override.reason == reason:
            return override
        override = override or ExpectationOverride(organisation=organisation, duty=duty)
        override.expected = expected
        override.reason = reason
        _full_clean(override)
        record_change(override, user=user, reason=reason)
        override.save()
    return override


# Covering arrangements.


def _overlapping(starts_on: datetime.date, ends_on: datetime.date | None) -> Q:
    """Covers whose period shares a day with starts_on..ends_on (open-ended when None)."""
    condition = Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)
    if ends_on is not None:
        condition &= Q(starts_on__lte=ends_on)
    return condition


def _period(cover: Cover) -> str:
    return f"from {_on(cover.starts_on)}" + (f" to {_on(cover.ends_on)}" if cover.ends_on else ", open-ended")


def _day_within(starts_on: datetime.date, ends_on: datetime.date | None) -> datetime.date:
    """Today, or the nearest day of the period to it: the day the threshold is counted on."""
    today = timezone.localdate()
    if today < starts_on:
        return starts_on
    if ends_on is not None and today > ends_on:
        return ends_on
    return today


def _covered_by_the_rule(organisation: Organisation, role: str, day: datetime.date) -> bool:
    """A pharmacy company not expected to name its own officer of the role: the rule covers it."""
    if organisation.kind != Kind.PHARMACY_COMPANY:
        return False
    return not Organisation.objects.filter(pk=organisation.pk).filter(expected_by_rule(role, day)).exists()


def cover_check(
    *,
    covering: Organisation,
    organisation: Organisation | None,
    rule: str,
    role: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None,
) -> None:
    """Refuse a covering arrangement that breaks a rule: see cover_add."""
    if (organisation is None) == (not rule):
        raise ValidationError(
            "Choose either one covered organisation or a rule, not both.", code="organisation_or_rule"
        )
    if rule and rule not in Cover.Rule.values:
        raise ValidationError("Choose a rule for the organisations covered.", code="invalid_rule")
    if role not in CoverRole.values:
        raise ValidationError("Choose whether the cover is for the MSO or the MDSO.", code="invalid_role")
    if starts_on is None:
        raise ValidationError("Enter the date the cover starts.", code="starts_on_required")
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError("The cover cannot end before it starts.", code="ends_before_start")
    role_label = CoverRole(role).label
    if covering.kind == Kind.PHARMACY:
        raise ValidationError(
            f"{covering.name} is a community pharmacy, which cannot cover others: its company answers for it.",
            code="covering_pharmacy",
        )
    if organisation is not None:
        if organisation.pk == covering.pk:
            raise ValidationError("An organisation cannot cover itself.", code="covers_itself")
        if organisation.kind == Kind.PHARMACY:
            raise ValidationError(
                f"{organisation.name} is a community pharmacy, which is not covered on its own: its company "
                "answers for it.",
                code="covered_pharmacy",
            )
    elif not covering.is_open:
        raise ValidationError(
            f"{covering.name} is {covering.status}: only an open organisation can cover every small pharmacy company.",
            code="covering_not_open",
        )

    covers = Cover.objects.filter(_overlapping(starts_on, ends_on), role=role).select_related("covering")
    day = _day_within(starts_on, ends_on)

    # No chains: the covering organisation is not itself covered for the role...
    covering_covered = covers.filter(organisation=covering).first()
    if covering_covered is not None:
        raise ValidationError(
            f"{covering.name} is itself covered for its {role_label} by {covering_covered.covering.name} "
            f"{_period(covering_covered)}: an organisation that is covered cannot cover others.",
            code="covering_is_covered",
        )
    if _covered_by_the_rule(covering, role, day):
        rule_cover = covers.filter(rule=Cover.Rule.SMALL_PHARMACY_COMPANIES).first()
        if rule or rule_cover is not None:
            by = f" by {rule_cover.covering.name} {_period(rule_cover)}" if rule_cover is not None else ""
            raise ValidationError(
                f"{covering.name} is a pharmacy company at or under the threshold, so the rule for small "
                f"pharmacy companies covers its {role_label}{by}: an organisation that is covered cannot "
                "cover others.",
                code="covering_is_covered",
            )
    # ... and the organisations covered do not cover others for it.
    if organisation is not None:
        given = covers.filter(covering=organisation).first()
        if given is not None:
            raise ValidationError(
                f"{organisation.name} covers others for their {role_label} {_period(given)}: an organisation "
                "that covers others cannot be covered.",
                code="covered_covers_others",
            )
    else:
        for given in covers.filter(covering__kind=Kind.PHARMACY_COMPANY):
            if _covered_by_the_rule(given.covering, role, day):
                raise ValidationError(
                    f"{given.covering.name}, a pharmacy company the rule would cover, covers others for their "
                    f"{role_label} {_period(given)}: an organisation that covers others cannot be covered.",
                    code="covered_covers_others",
                )

    # One cover at a time of an organisation, or of the rule, for each role.
    same = covers.filter(organisation=organisation) if organisation is not None else covers.filter(rule=rule)
    existing = same.first()
    if existing is not None:
        covered = organisation.name if organisation is not None else "The rule for small pharmacy companies"
        raise ValidationError(
            f"{covered} already has cover for the {role_label} by {existing.covering.name} {_period(existing)}. "
            "End that cover first, or choose dates that do not overlap it.",
            code="overlapping_cover",
        )


def _lock_for_cover(*organisations: Organisation | None) -> None:
    """Lock the rows every check of a new cover turns on, so that two covers added at the same moment
    are checked one after the other: the organisations involved, and the pharmacy companies' type
    expectation (which stands for the rule)."""
    pks = [organisation.pk for organisation in organisations if organisation is not None]
    _lock(Organisation.objects.filter(pk__in=pks))
    _lock(TypeExpectation.objects.filter(kind=Kind.PHARMACY_COMPANY))


def cover_add(
    *,
    covering: Organisation,
    organisation: Organisation | None = None,
    rule: str = "",
    role: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    reason: str,
    user: User | None,
) -> Cover:
    """Record that `covering`'s named officer of `role` (CoverRole) covers `organisation`, or every
    organisation `rule` (Cover.Rule) describes, from `starts_on` to `ends_on` (inclusive; open-ended
    when None), with the reason.

    Refused, with nothing written: neither or both of an organisation and a rule; an organisation
    covering itself; a period ending before it starts; a covering organisation that is a community
    pharmacy, that is itself covered for the role at any time in the period (directly, or by the
    rule when it is a pharmacy company not expected to name its own), or, for the rule, that is not
    open; a covered organisation that is a community pharmacy (its company answers for it) or that
    covers others for the role in the period (no chains of cover); a second cover of the same
    organisation, or of the rule, for the role overlapping this one; and no reason."""
    reason = _clean_reason(reason)
    rule = rule or ""
    with transaction.atomic():
        _lock_for_cover(covering, organisation)
        cover_check(
            covering=covering, organisation=organisation, rule=rule, role=role, starts_on=starts_on, ends_on=ends_on
        )
        cover = Cover(
            covering=covering,
            organisation=organisation,
            rule=rule,
            role=role,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
        )
        _full_clean(cover)
        record_change(cover, user=user, reason=reason)
        try:
            with transaction.atomic():
                cover.save()
        except IntegrityError as exc:  # an open-ended cover added at the same moment elsewhere
            raise ValidationError(
                "A cover for the same organisation and role was added at the same moment. Nothing was saved: "
                "check the covering arrangements and try again.",
                code="conflict",
            ) from exc
    return cover


def cover_end_check(*, cover: Cover, ends_on: datetime.date | None) -> None:
    """Refuse an end date that breaks a rule: see cover_end."""
    if ends_on is None:
        raise ValidationError("Enter the date the cover ends.", code="ends_on_required")
    if ends_on < cover.starts_on:
        raise ValidationError(
            f"The cover cannot end before it starts, on {_on(cover.starts_on)}.", code="ends_before_start"
        )
    if cover.ends_on is not None and ends_on > cover.ends_on:
        raise ValidationError(
            f"This cover already ends on {_on(cover.ends_on)}. To continue it, add a new covering arrangement.",
            code="extends_ended_cover",
        )


def cover_end(*, cover_id: int, ends_on: datetime.date, user: User | None, reason: str) -> Cover:
    """End a covering arrangement on `ends_on` (its last day), with the reason, which replaces the
    reason on the row (its history keeps the reason it was set up with).

    Refused, with nothing written: a cover that no longer exists, an end date before the cover
    starts, one after the date it already ends (a new arrangement continues it, checked as new), and
    no reason."""
    reason = _clean_reason(reason)
    with transaction.atomic():
        cover = Cover.objects.select_for_update().filter(pk=cover_id).first()
        if cover is None:
            raise ValidationError("This covering arrangement no longer exists.", code="no_such_cover")
        cover_end_check(cover=cover, ends_on=ends_on)
        if cover.ends_on == ends_on and cover.reason == reason:
            return cover
        cover.ends_on = ends_on
        cover.reason = reason
        _full_clean(cover)
        record_change(cover, user=user, reason=reason)
        cover.save(update_fields=["ends_on", "reason"])
    return cover
