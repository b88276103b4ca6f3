from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """A strict Content-Security-Policy on every HTML response when serving over https."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY_ENABLED and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
        return response
