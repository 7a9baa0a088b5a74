from django.urls import path

from . import hr_views, views

app_name = "checkins"

urlpatterns = [
    # Participants: "My mentoring" and everything a pair does
    path("", views.home, name="home"),
    path("pairings/<int:pk>/", views.pairing_journal, name="journal"),
    path("pairings/<int:pk>/log/", views.checkin_log, name="log"),
    path("pairings/<int:pk>/plan/", views.meeting_plan, name="plan"),
    path("meetings/<int:pk>/invite.ics", views.meeting_ics, name="meeting_ics"),
    path("meetings/<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("checkins/<int:pk>/", views.checkin_detail, name="checkin"),
    path("checkins/<int:pk>/my-side/", views.reflection_edit, name="reflection"),
    path("checkins/<int:pk>/notes/", views.shared_notes_edit, name="shared_notes"),
    path("pairings/<int:pk>/goals/review/", views.goal_review, name="goal_review"),
    path("pairings/<int:pk>/actions/new/", views.action_new, name="action_new"),
    path("actions/<int:pk>/", views.action_edit, name="action_edit"),
    path("pairings/<int:pk>/concerns/new/", views.concern_new, name="concern_new"),
    path("concerns/<int:pk>/", views.concern_detail, name="concern"),
    # Notifications: in the app, email choices, and the one-click unsubscribe (no login)
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # HR admins: dates, counts and statuses only
    path("hr/pair-health/", hr_views.pair_health, name="pair_health"),
    path("hr/pair-health.csv", hr_views.pair_health_csv, name="pair_health_csv"),
    path("hr/concerns/", hr_views.concern_queue, name="concerns"),
    path("hr/concerns/<int:pk>/", hr_views.concern_handle, name="concern_handle"),
    path("hr/operations/", hr_views.operations, name="operations"),
]
