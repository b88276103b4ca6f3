from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from authserver import health


@never_cache
@require_safe
def alive(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request):
    down = health.problems()
    if down:
        return JsonResponse({"status": "unavailable", "down": down}, status=503)
    return JsonResponse({"status": "ok"})
