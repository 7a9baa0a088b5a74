from django.contrib import admin

from .models import Acknowledgement, Enrollment, Program, Theme


class ThemeInline(admin.TabularInline):
    model = Theme
    extra = 0


class AcknowledgementInline(admin.TabularInline):
    model = Acknowledgement
    extra = 0


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "state", "starts_on", "ends_on", "archived_at"]
    list_filter = ["state"]
    search_fields = ["name"]
    inlines = [ThemeInline, AcknowledgementInline]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["person", "program", "role", "status", "created_at"]
    list_filter = ["program", "role", "status"]
    search_fields = ["person__full_name", "person__email"]
    raw_id_fields = ["person", "decided_by"]
