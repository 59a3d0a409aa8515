"""Factories for the users app: accounts, and the authenticator app a user signs in with (allauth's)."""

import factory
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import generate_totp_secret
from allauth.mfa.utils import encrypt

from users.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@nhs.net")
    name = factory.Faker("name", locale="en_GB")
    password = factory.django.Password("correct horse battery staple")


class TOTPAuthenticatorFactory(factory.django.DjangoModelFactory):
    """An authenticator app set up for two-factor authentication; `secret` gives its codes
    (allauth.mfa.totp.internal.auth.hotp_value)."""

    class Meta:
        model = Authenticator
        exclude = ["secret"]

    user = factory.SubFactory(UserFactory)
    type = Authenticator.Type.TOTP
    secret = factory.LazyFunction(generate_totp_secret)
    data = factory.LazyAttribute(lambda o: {"secret": encrypt(o.secret)})
