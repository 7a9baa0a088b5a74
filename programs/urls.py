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
    # Participants
    path("", views.open_programs, name="open"),
    path("<int:pk>/enroll/", views.enroll, name="enroll"),
    path("enrollments/<int:pk>/", views.my_enrollment, name="my_enrollment"),
    path("enrollments/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
