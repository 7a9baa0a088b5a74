"""What the whole suite shares: the personas every permission test walks through, and query counting."""

from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext

# Every role of the product, and an outsider: a login with no directory entry and no role.
PERSONAS = ["hr_admin", "leader", "mentor", "mentee", "other_participant", "outsider"]


@contextmanager
def count_queries():
    """with count_queries() as queries: ...; len(queries) is how many SQL statements ran."""
    with CaptureQueriesContext(connection) as captured:
        yield captured


def queries_of(client, url: str, **kwargs) -> int:
    """How many SQL statements one GET of `url` runs (the page must answer 200), once the session is
    settled: a session's first request also records it (allauth's user sessions, sign-in times)."""
    client.get(url, **kwargs)
    with count_queries() as queries:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def form_token(client, url: str) -> str:
    """The once-only token the form on `url` carries (common.once), as a browser would submit it."""
    import re

    html = client.get(url).content.decode()
    match = re.search(r'name="form_token" value="([0-9a-f]+)"', html)
    assert match, f"no form_token on {url}"
    return match.group(1)
