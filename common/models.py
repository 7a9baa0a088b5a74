from django.conf import settings
from django.db import models


class FormSubmission(models.Model):
    """A form that was submitted and saved once: its token, and where its result is (common.once).

    A second submit of the same form (a double click, a browser retry, a replayed request) finds the
    row and is shown the first one's result instead of creating a second of everything."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    result_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="form_submission_once")]

    def __str__(self):
        return f"{self.user_id}:{self.token}"


class CountDelta(models.Model):
    """A change of a counted number of rows (common.counts): the number is the sum of its deltas.

    PostgreSQL triggers add a row per statement that changes a count, whatever path it came by (a
    service, a bulk import, SCIM, raw SQL); a count is read as one indexed sum, not a scan of 100,000
    rows, and counts_compact folds each counter's rows into one. A row each, not one counter row
    updated in place: writers never wait for each other's commits on a shared row."""

    counter = models.CharField(max_length=100, db_index=True)
    delta = models.BigIntegerField()

    def __str__(self):
        return f"{self.counter} {self.delta:+d}"
