from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.functional import cached_property
from simple_history.models import HistoricalRecords


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("is_national_lead", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A login. Email is the identifier; what the user may do comes from their role
    (national lead) and from their person record (appointments, network chairs)."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_national_lead = models.BooleanField(
        "national network lead",
        default=False,
        help_text="National network leads and deputies administer the whole national database.",
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ci",
                violation_error_message="An account with this email address already exists.",
            ),
        ]

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name or self.email

    @cached_property
    def person_record(self):
        """The user's person record in the registry (the officers.Person whose `user` is this one), or None."""
        try:
            return self.person
        except ObjectDoesNotExist:
            return None

    @cached_property
    def has_authenticator_app(self) -> bool:
        """Whether the user has set up an authenticator app (a TOTP authenticator in django-allauth)."""
        from allauth.mfa.models import Authenticator

        return Authenticator.objects.filter(user=self, type=Authenticator.Type.TOTP).exists()


class UserSession(models.Model):
    """A session a user signed in with, so that their sessions can be ended (when the account is
    deactivated) without reading every session in the store. Recorded at sign-in, removed at sign-out;
    a row whose session has expired is removed at the user's next sign-in."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    signed_in_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_in_at"]

    def __str__(self):
        return f"{self.user} signed in at {self.signed_in_at:%Y-%m-%d %H:%M}"


# Email domains whose sign-ups need no extra checking, whatever the table below holds. They are
# constants rather than rows so that no one can remove them by mistake in the admin.
BUILT_IN_TRUSTED_DOMAINS = frozenset({"nhs.net", "nhs.uk"})

validate_domain = RegexValidator(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$",
    message="Enter a domain name such as example.org.uk, in lower case and without the @.",
    code="invalid_domain",
)


def email_domain(email: str) -> str:
    """The part of an email address after the @, in lower case ("" when there is no @)."""
    _, at, domain = email.strip().rpartition("@")
    return domain.rstrip(".").lower() if at else ""


def domain_and_parents(domain: str) -> list[str]:
    """The domain and every domain it is a subdomain of, down to the last two labels:
    "a.b.nhs.uk" gives ["a.b.nhs.uk", "b.nhs.uk", "nhs.uk"]. Empty for a malformed domain."""
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels):
        return []
    return [".".join(labels[index:]) for index in range(len(labels) - 1)]


def email_domain_is_trusted(email: str) -> bool:
    """Whether the address is at a trusted email domain or a subdomain of one: nhs.net and nhs.uk
    always, and any domain the national lead has added as a `TrustedEmailDomain`. Requests from
    other addresses need extra checking."""
    candidates = domain_and_parents(email_domain(email))
    if not candidates:
        return False
    if BUILT_IN_TRUSTED_DOMAINS.intersection(candidates):
        return True
    return TrustedEmailDomain.objects.filter(domain__in=candidates).exists()


class TrustedEmailDomain(models.Model):
    """An email domain, besides the built-in nhs.net and nhs.uk, whose addresses need no extra
    checking when they ask to be registered. A domain covers its subdomains."""

    domain = models.CharField(
        max_length=253,
        unique=True,
        validators=[validate_domain],
        help_text=(
            "For example hscni.net. Its subdomains are trusted too. "
            "nhs.net and nhs.uk (and their subdomains) are always trusted and need no entry."
        ),
    )
    note = models.TextField(blank=True, help_text="Whose domain this is and why its addresses can be trusted.")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(domain=Lower("domain")),
                name="trusted_email_domain_lower_case",
                violation_error_message="Enter the domain in lower case.",
            ),
        ]

    def __str__(self):
        return self.domain

    def clean(self):
        super().clean()
        if BUILT_IN_TRUSTED_DOMAINS.intersection(domain_and_parents(self.domain)):
            raise ValidationError(
                {"domain": "nhs.net and nhs.uk, and their subdomains, are always trusted and need no entry."}
            )
