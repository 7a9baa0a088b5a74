from django.urls import path

from . import views

app_name = "pairings"

urlpatterns = [
    # HR admins, per program
    path("programs/<int:pk>/matching/", views.matching_page, name="matching"),
    path("programs/<int:pk>/matching/run/", views.run_start, name="run_start"),
    path("programs/<int:pk>/matching/runs/<int:run_pk>/", views.run_detail, name="run"),
    path(
        "programs/<int:pk>/matching/runs/<int:run_pk>/proposals/<int:proposal_pk>/",
        views.proposal_action,
        name="proposal_action",
    ),
    path("programs/<int:pk>/matching/runs/<int:run_pk>/add/", views.proposal_add, name="proposal_add"),
    path("programs/<int:pk>/matching/runs/<int:run_pk>/publish/", views.run_publish, name="publish"),
    path("programs/<int:pk>/pairs/", views.program_pairings, name="program_pairings"),
    path("programs/<int:pk>/pairs/<int:pairing_pk>/keep/", views.conflict_keep, name="conflict_keep"),
    # The pair (and HR, who sees dates and statuses only)
    path("<int:pk>/", views.pairing_detail, name="detail"),
    path("<int:pk>/answer/", views.pairing_answer, name="answer"),
    path("<int:pk>/agreement/", views.agreement_edit, name="agreement"),
    path("<int:pk>/agreement/confirm/", views.agreement_confirm, name="agreement_confirm"),
    path("<int:pk>/goals/new/", views.goal_edit, name="goal_add"),
    path("<int:pk>/goals/<int:goal_pk>/", views.goal_edit, name="goal_edit"),
    path("<int:pk>/end/", views.pairing_end, name="end"),
    # Mentee-choice mode
    path("choose/<int:enrollment_pk>/", views.choose_mentor, name="choose"),
    path("requests/", views.mentor_requests, name="requests"),
]
