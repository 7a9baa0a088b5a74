"""HR's API tokens: make one (its secret shown once), list them by prefix, revoke one.

The services (profiles.api_tokens) decide who may and what a token is; these views only show and ask.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from common.views import form_errors

from . import api_tokens
from .forms_api_tokens import ApiTokenCreateForm
from .models import ApiToken
from .permissions import hr_admin_required

Scope = ApiToken.Scope


@hr_admin_required
@never_cache
def api_token_list(request):
    """The tokens, and the form for a new one. After a POST that made one, its secret, this once."""
    form = ApiTokenCreateForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = api_tokens.api_token_create(
                created_by=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(),
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            form = ApiTokenCreateForm()
    status = 400 if request.method == "POST" and created is None else 200
    return render(
        request,
        "profiles/api_tokens.html",
        {
            "form": form,
            "rows": [
                (
                    token,
                    api_tokens.token_state(token),
                    [Scope(s).label for s in token.scopes if s in Scope.values],
                )
                for token in api_tokens.api_tokens_list()
            ],
            "created": created,
            "secret": secret,
            "docs_url": reverse("api:openapi-view"),
        },
        status=status,
    )


@hr_admin_required
@require_POST
def api_token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk)
    api_tokens.api_token_revoke(token=token, by=request.user)
    messages.success(request, _("Token %(prefix)s… revoked: it no longer works.") % {"prefix": token.prefix})
    return redirect("profiles:api_tokens")
