from django.contrib import admin
from django.urls import include, path

from profiles import views as profile_views

from . import views
from .api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Before allauth's own: a login's only address is its directory entry's (profiles.views.account_email).
    path("accounts/email/", profile_views.account_email, name="account_email"),
    path("accounts/", include("allauth.urls")),
    # The language switch (Django's set_language, which also records a signed-in user's choice), then
    # Django's own i18n URLs.
    path("i18n/language/", profile_views.language_set, name="language_set"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("programs/", include("programs.urls")),
    path("pairings/", include("pairings.urls")),
    path("mentoring/", include("checkins.urls")),
    path("people/", include("profiles.urls")),
    path("dashboards/", include("checkins.dashboard.urls")),
    # The REST API, its OpenAPI description (openapi.json) and docs (docs): mentoring/api.py.
    path("api/v1/", api.urls),
    # SCIM 2.0 provisioning for identity providers (Okta, Entra ID): profiles/scim.py.
    path("scim/v2/", include("profiles.scim_urls")),
    path("support/", admin.site.urls),
]

handler400 = "mentoring.views.bad_request"
handler403 = "mentoring.views.permission_denied"
handler404 = "mentoring.views.page_not_found"
handler500 = "mentoring.views.server_error"
