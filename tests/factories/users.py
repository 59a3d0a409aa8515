import factory

from users.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@nhs.net")
    name = factory.Faker("name", locale="en_GB")
    password = factory.django.Password("correct horse battery staple")
