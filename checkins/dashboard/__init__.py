"""The leaders' success dashboards: rollups kept by a Celery task (rollup.py), the figures read from them
through the small-group rule (figures.py), their pages and CSV exports (views.py), the monthly report
(report.py).

They sit in the check-ins app because they read every app (profiles, programs, pairings and this one),
each through its own selectors; dependencies still point one way.
"""
