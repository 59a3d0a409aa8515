from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

admin.site.site_header = "MSO Network administration"
admin.site.site_title = "MSO Network administration"
admin.site.index_title = "National MSO database"
# The admin has no sign-in of its own: /admin/login/ sends people to the portal's sign-in, with
# its rate limits and two-factor authentication.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("healthz/", views.healthz, name="healthz"),
    path("readyz/", views.readyz, name="readyz"),
    path("accounts/", include("users.urls")),
    path("accounts/", include("audit.urls")),
    path("accounts/", include("allauth.urls")),
    path("organisations/", include("organisations.urls")),
    path("people/", include("registrations.urls")),
    path("people/", include("officers.urls")),
    path("networks/", include("meetings.urls")),
    # The flag board, and the compliance pages beside the organisations' and the handovers' pages.
    path("", include("compliance.urls")),
    # The register's pages (the organisation directory and profile, people, networks), after the
    # apps' own pages under the same paths, so that no ODS code or network slug can hide those.
    path("", include("directory.urls")),
    path("handovers/", include("handovers.urls")),
    path("committees/", include("committees.urls")),
    path("workspace/", include("workspace.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("imports/", include("imports.urls")),
    path("messages/", include("mailings.urls")),
    path("presentations/", include("presentations.urls")),
    path("api/v1/", include("api.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
