from django.urls import path

from . import views

app_name = "programs"

urlpatterns = [
    # HR admins
    path("manage/", views.program_list, name="list"),
    path("manage/new/", views.program_create, name="create"),
    path("manage/<int:pk>/", views.program_detail, name="detail"),
    path("manage/<int:pk>/edit/", views.program_edit, name="edit"),
    path("manage/<int:pk>/state/", views.program_transition, name="transition"),
    path("manage/<int:pk>/duplicate/", views.program_duplicate, name="duplicate"),
    path("manage/<int:pk>/archive/", views.program_archive, name="archive"),
    path("manage/<int:pk>/invite/", views.program_invite, name="invite"),
    path("manage/<int:pk>/themes/new/", views.theme_edit, name="theme_add"),
    path("manage/<int:pk>/themes/<int:theme_pk>/", views.theme_edit, name="theme_edit"),
    path("manage/<int:pk>/themes/<int:theme_pk>/delete/", views.theme_delete, name="theme_delete"),
    path("manage/<int:pk>/acknowledgements/new/", views.acknowledgement_edit, name="acknowledgement_add"),
    path(
        "manage/<int:pk>/acknowledgements/<int:ack_pk>/",
        views.acknowledgement_edit,
        name="acknowledgement_edit",
    ),
    path(
        "manage/<int:pk>/acknowledgements/<int:ack_pk>/delete/",
        views.acknowledgement_delete,
        name="acknowledgement_delete",
    ),
    path("manage/<int:pk>/enrollments/", views.enrollment_list, name="enrollments"),
    path("manage/<int:pk>/enrollments/<int:enrollment_pk>/decide/", views.enrollment_decide, name="decide"),
    path(
        "manage/<int:pk>/enrollments/approve-waiting/",
        views.enrollment_approve_waiting,
        name="approve_waiting",
    ),
    # Participants
    path("", views.open_programs, name="open"),
    path("<int:pk>/enroll/", views.enroll, name="enroll"),
    path("enrollments/<int:pk>/", views.my_enrollment, name="my_enrollment"),
    path("enrollments/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    # Surveys: HR manages and reads everything; participants answer; leaders read aggregates only
    path("manage/<int:pk>/surveys/", views.survey_list, name="surveys"),
    path("manage/<int:pk>/surveys/create/", views.survey_create, name="surveys_create"),
    path("manage/<int:pk>/surveys/<int:survey_pk>/", views.survey_detail, name="survey"),
    path(
        "manage/<int:pk>/surveys/<int:survey_pk>/questions/new/",
        views.survey_question_edit,
        name="survey_question_add",
    ),
    path(
        "manage/<int:pk>/surveys/<int:survey_pk>/questions/<int:question_pk>/",
        views.survey_question_edit,
        name="survey_question_edit",
    ),
    path(
        "manage/<int:pk>/surveys/<int:survey_pk>/questions/<int:question_pk>/delete/",
        views.survey_question_delete,
        name="survey_question_delete",
    ),
    path("surveys/<int:pk>/", views.survey_respond, name="survey_respond"),
    path("surveys/<int:pk>/summary/", views.survey_summary, name="survey_summary"),
]
