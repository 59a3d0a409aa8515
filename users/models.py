from django.contrib.auth.models import AbstractUser, BaseUserManager
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
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name or self.email

    @cached_property
    def person_record(self):
        """The user's person record in the registry, or None."""
        from officers.models import Person

        return Person.objects.filter(user=self).first()

    @cached_property
    def chaired_networks(self) -> list:
        """Networks this user currently chairs or vice-chairs."""
        from networks.models import Membership, Network

        return list(
            Network.objects.filter(
                memberships__person__user=self,
                memberships__left_on__isnull=True,
                memberships__role__in=Membership.CHAIR_ROLES,
            ).distinct()
        )

    @property
    def is_chair(self) -> bool:
        return bool(self.chaired_networks)

    @property
    def navigation(self) -> dict:
        return {
            "is_lead": self.is_national_lead,
            "is_chair": self.is_chair,
            "chaired_networks": self.chaired_networks,
            "person": self.person_record,
        }
