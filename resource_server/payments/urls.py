from django.urls import path

from resource_server import logout_views, views
from resource_server.payments import views as payments

urlpatterns = [
    path("api/public/health", views.health, name="health"),
    path("backchannel-logout", logout_views.backchannel_logout, name="backchannel-logout"),
    path("api/payments", payments.payments, name="payments"),
]

handler400 = "resource_server.views.bad_request"
handler403 = "resource_server.views.forbidden"
handler404 = "resource_server.views.not_found"
handler500 = "resource_server.views.server_error"
