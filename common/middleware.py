"""Response headers every page carries, beyond Django's own security middleware."""

from django.conf import settings


class PermissionsPolicyMiddleware:
    """Turn off the browser features Twoway never uses (camera, microphone, location, payment, ...), so an
    injected script or a framed page cannot ask for them. WebAuthn (passkeys) stays allowed for this site."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = ", ".join(f"{feature}={allow}" for feature, allow in settings.PERMISSIONS_POLICY.items())

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.value)
        return response
