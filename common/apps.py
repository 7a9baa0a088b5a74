from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Registered only so that its template tags load; it has no models."""

    name = "common"
    verbose_name = "Common"
