from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Person, PersonHistory, User
from .services import directory_history_record


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_hr_admin", "is_leader", "is_active", "is_staff"]
    list_filter = ["is_hr_admin", "is_leader", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["full_name"]}),
        (_("Roles"), {"fields": ["is_hr_admin", "is_leader", "is_active", "is_staff", "is_superuser"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["full_name", "email", "job_title", "department", "level", "is_active"]
    list_filter = ["department", "level", "is_active"]
    search_fields = ["full_name", "email", "employee_id"]
    raw_id_fields = ["manager", "user"]

    def save_model(self, request, obj, form, change):
        # Support staff editing a person is a directory change like any other: it enters the history.
        super().save_model(request, obj, form, change)
        directory_history_record(person_ids=[obj.pk], source=PersonHistory.Source.SUPPORT)
