"""SCIM 2.0 provisioning, under /scim/v2/ (profiles.scim). No trailing slashes: SCIM clients append
resource paths to the base URL as RFC 7644 spells them."""

from django.urls import path

from . import scim

app_name = "scim"

urlpatterns = [
    path("ServiceProviderConfig", scim.service_provider_config, name="service_provider_config"),
    path("ResourceTypes", scim.resource_types, name="resource_types"),
    path("ResourceTypes/<str:pk>", scim.resource_types, name="resource_type"),
    path("Schemas", scim.schemas, name="schemas"),
    path("Schemas/<str:pk>", scim.schemas, name="schema"),
    path("Users", scim.users, name="users"),
    path("Users/.search", scim.users_search, name="users_search"),
    # A query of every resource type: Users are the only one.
    path(".search", scim.users_search, name="search"),
    path("Users/<str:pk>", scim.user, name="user"),
    path("<path:rest>", scim.not_found, name="not_found"),
]
