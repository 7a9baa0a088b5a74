from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("programs/", include("programs.urls")),
    path("pairings/", include("pairings.urls")),
    path("mentoring/", include("checkins.urls")),
    path("people/", include("profiles.urls")),
    path("dashboards/", include("checkins.dashboard.urls")),
    path("support/", admin.site.urls),
]

handler403 = "mentoring.views.permission_denied"
handler404 = "mentoring.views.page_not_found"
handler500 = "mentoring.views.server_error"
