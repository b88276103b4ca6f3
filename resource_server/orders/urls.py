from django.urls import path

from resource_server import logout_views, views
from resource_server.orders import views as orders

urlpatterns = [
    path("api/public/health", views.health, name="health"),
    path("backchannel-logout", logout_views.backchannel_logout, name="backchannel-logout"),
    path("api/orders", orders.orders, name="orders"),
    path("api/orders/<uuid:order_id>", orders.order, name="order"),
    path("api/admin/orders", orders.admin_orders, name="admin-orders"),
]

handler400 = "resource_server.views.bad_request"
handler403 = "resource_server.views.forbidden"
handler404 = "resource_server.views.not_found"
handler500 = "resource_server.views.server_error"
