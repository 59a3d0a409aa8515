import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from rest_framework_api_key.crypto import KeyGenerator

# How often a key's use is written down: its last use is known to within this.
USE_RECORDED_EVERY = datetime.timedelta(minutes=1)


class Scope(models.TextChoices):
    """What a key may read. `register` is the public register; `contacts` adds the named officers'
    work email and telephone and the generic MSO mailbox (personal data: every read is logged);
    `coverage` the national coverage figures."""

    REGISTER = "register", "Register (organisations, named officers, networks and chairs)"
    CONTACTS = "contacts", "Contact details (officers' work email and telephone, generic MSO mailbox)"
    COVERAGE = "coverage", "Coverage figures by region and type"


class PartnerKeyQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Keys not revoked and not expired (at `now`)."""
        now = now or timezone.now()
        return self.filter(revoked=False).filter(Q(expiry_date__isnull=True) | Q(expiry_date__gt=now))


class PartnerKeyManager(models.Manager.from_queryset(PartnerKeyQuerySet)):
    # djangorestframework-api-key's generator: "<8-character prefix>.<32-character secret>", hashed
    # with SHA-512 (the key is random, so a slow password hash would add nothing).
    key_generator = KeyGenerator()

    def create_key(self, **fields) -> tuple["PartnerKey", str]:
        """A new key with `fields`, saved, and the key itself (kept nowhere)."""
        key, prefix, hashed_key = self.key_generator.generate()
        return self.create(prefix=prefix, hashed_key=hashed_key, **fields), key

    def from_key(self, key: str) -> "PartnerKey | None":
        """The usable key (not revoked, not expired) that `key` is, or None: one query."""
        prefix, dot, secret = key.partition(".")
        if not dot or not secret or len(key) > 100:
            return None
        found = self.get_queryset().usable().filter(prefix=prefix).first()
        if found is None or not self.key_generator.verify(key, found.hashed_key):
            return None
        return found


class PartnerKey(models.Model):
    """An API key of a partner system, issued by the national lead. Only its prefix (which names it)
    and a hash of the whole key are stored: the key itself is shown once, when it is issued. A key
    reads only its scopes; the contacts scope is granted only with the reason recorded. A revoked
    key stays revoked; an expired one stops working at its expiry."""

    prefix = models.CharField(max_length=8, unique=True, editable=False)
    hashed_key = models.CharField(max_length=150, editable=False)
    name = models.CharField(max_length=100, help_text="What the key is for, such as the partner system's name.")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    expiry_date = models.DateTimeField(
        "expires", null=True, blank=True, help_text="When the key stops working (empty: until it is revoked)."
    )
    revoked = models.BooleanField(default=False, editable=False)

    partner = models.CharField(
        "partner organisation", max_length=200, help_text="Who holds the key: the partner organisation or system."
    )
    scope_register = models.BooleanField("register", default=True, help_text=Scope.REGISTER.label)
    scope_contacts = models.BooleanField("contact details", default=False, help_text=Scope.CONTACTS.label)
    scope_coverage = models.BooleanField("coverage", default=False, help_text=Scope.COVERAGE.label)
    contacts_reason = models.TextField(
        "reason for contact details",
        blank=True,
        help_text="Why this partner needs the officers' contact details (personal data). Required for that scope.",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the key was last used, to within USE_RECORDED_EVERY (a write at most that often, not one a request).
    last_used_at = models.DateTimeField("last used", null=True, blank=True, editable=False)

    objects = PartnerKeyManager()

    class Meta:
        ordering = ["-created"]
        verbose_name = "partner API key"
        verbose_name_plural = "partner API keys"
        constraints = [
            models.CheckConstraint(
                condition=Q(scope_contacts=False) | ~Q(contacts_reason=""),
                name="partner_key_contacts_need_a_reason",
                violation_error_message="Give the reason this partner needs the officers' contact details.",
            ),
            models.CheckConstraint(
                condition=Q(revoked=False, revoked_at__isnull=True) | Q(revoked=True, revoked_at__isnull=False),
                name="partner_key_revoked_has_time",
                violation_error_message="A revoked key needs the time it was revoked.",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.partner}, {self.prefix})"

    def record_use(self, now=None) -> None:
        """Note that the key was used now, unless that was noted less than USE_RECORDED_EVERY ago."""
        now = now or timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= USE_RECORDED_EVERY:
            PartnerKey.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now

    @property
    def scopes(self) -> set[str]:
        return {scope for scope in Scope.values if getattr(self, f"scope_{scope}")}

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def has_expired(self) -> bool:
        return self.expiry_date is not None and self.expiry_date <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return not self.revoked and not self.has_expired
