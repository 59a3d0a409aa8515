"""Error pages are the service's own, in the NHS.UK layout, and never show a traceback."""

import pytest
from django.test import Client, override_settings
from django.urls import path

from msonet import urls as site_urls


def broken_view(request):
    raise RuntimeError("secret detail that must not reach the page")


urlpatterns = [path("broken/", broken_view), *site_urls.urlpatterns]


def test_unknown_page_gives_the_services_not_found_page(client, world):
    client.force_login(world.mso)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()


@pytest.mark.urls("tests.msonet.test_error_pages")
@override_settings(DEBUG=False)
def test_server_error_page_shows_no_traceback(db):
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    content = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in content
    assert "secret detail" not in content
    assert "Traceback" not in content
