from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Shared helpers; its one model records forms saved once (common.once)."""

    name = "common"
    verbose_name = "Common"
