from django.urls import path

from . import views, views_api_tokens, views_audit, views_privacy

app_name = "profiles"

urlpatterns = [
    # HR admins
    path("", views.directory, name="directory"),
    path("<int:pk>/", views.person_detail, name="person"),
    path("<int:pk>/invite/", views.person_invite, name="invite"),
    path("<int:pk>/erase/", views_privacy.person_erase, name="erase"),
    path("invite/", views.invite_bulk, name="invite_bulk"),
    path("import/", views.import_upload, name="import"),
    path("import/<str:token>/", views.import_preview, name="import_preview"),
    path("import/job/<int:pk>/", views.import_job, name="import_job"),
    path(
        "import/job/<int:pk>/confirm/",
        views.import_job_decide,
        {"decision": "confirm"},
        name="import_job_confirm",
    ),
    path(
        "import/job/<int:pk>/discard/",
        views.import_job_decide,
        {"decision": "discard"},
        name="import_job_discard",
    ),
    path("import/<str:token>/confirm/", views.import_confirm, name="import_confirm"),
    path("roles/", views.roles, name="roles"),
    path("roles/<int:user_pk>/", views.roles_set, name="roles_set"),
    path("audit/", views_audit.audit_log, name="audit"),
    path("api-tokens/", views_api_tokens.api_token_list, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", views_api_tokens.api_token_revoke, name="api_token_revoke"),
    path("invitations/", views.invitation_list, name="invitations"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    # The invitation link (no login needed)
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    # Participants
    path("me/", views.my_profile, name="my_profile"),
    # Everyone with a login
    path("account/", views.account, name="account"),
    path("account/data/", views_privacy.my_data, name="my_data"),
    path("<int:pk>/profile/", views.profile, name="profile"),
]
