"""The offers to present in the admin: read-only, for looking up and auditing; every decision is made
on the portal's review page, through presentations.services."""

from django.urls import reverse

from presentations.models import Offer
from tests.factories import OfferFactory


def test_the_lead_reads_offers_in_the_admin_but_cannot_add_or_change_them(client, world):
    offer = OfferFactory(person=world.mso_person, title="Insulin omissions")
    client.force_login(world.lead)
    changelist = client.get(reverse("admin:presentations_offer_changelist"))
    assert changelist.status_code == 200
    assert "Insulin omissions" in changelist.content.decode()
    detail = client.get(reverse("admin:presentations_offer_change", args=[offer.pk]))
    assert detail.status_code == 200
    assert reverse("presentations:review", args=[offer.pk]) in detail.content.decode()
    assert client.get(reverse("admin:presentations_offer_history", args=[offer.pk])).status_code == 200
    assert client.get(reverse("admin:presentations_offer_add")).status_code == 403
    response = client.post(reverse("admin:presentations_offer_change", args=[offer.pk]), {"title": "Changed"})
    assert response.status_code == 403
    offer.refresh_from_db()
    assert offer.title == "Insulin omissions"
    assert Offer.objects.count() == 1
