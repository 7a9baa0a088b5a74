import re

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "sees", "does_not_see"),
    [
        ("hr_admin", ["As an HR admin", "Your mentoring"], ["As a leader"]),
        ("leader", ["As a leader", "Your mentoring"], ["As an HR admin"]),
        ("mentor", ["Your mentoring", "You are in the directory"], ["As an HR admin", "As a leader"]),
        ("mentee", ["Your mentoring", "You are in the directory"], ["As an HR admin", "As a leader"]),
        (
            "outsider",
            ["not yet tied to an entry of the employee directory"],
            ["As an HR admin", "As a leader"],
        ),
    ],
)
def test_home_says_what_to_do_next_for_each_role(client, request, persona, sees, does_not_see):
    client.force_login(request.getfixturevalue(persona))
    html = client.get(reverse("home")).content.decode()
    for text in sees:
        assert text in html
    for text in does_not_see:
        assert text not in html


@pytest.mark.django_db
def test_pages_carry_a_nonce_csp_and_no_inline_script(client, mentor):
    client.force_login(mentor)
    response = client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.content.decode(), re.S)
    assert scripts, "the page loads its scripts"
    for attributes, body in scripts:
        assert body.strip() == "", "no inline script"
        assert f'nonce="{nonce}"' in attributes
    assert "style=" not in response.content.decode()


@pytest.mark.django_db
def test_unknown_page_gets_the_friendly_404(client, mentor):
    client.force_login(mentor)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


@pytest.mark.django_db
def test_login_page_uses_the_site_layout(client):
    html = client.get(reverse("account_login")).content.decode()
    assert '<main id="main"' in html and "Skip to main content" in html
    assert "bootstrap.min.css" in html
