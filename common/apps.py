from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Shared helpers; its one model records forms saved once (common.once)."""

    name = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from django.db import connection
        from django.db.backends.signals import connection_created

        if connection.vendor == "postgresql":
            from .pg import use_preparing_cursor

            connection_created.connect(use_preparing_cursor, dispatch_uid="common.pg.preparing_cursor")
