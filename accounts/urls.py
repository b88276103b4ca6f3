from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login", views.login, name="login"),
    path("login/update-password", views.update_password, name="update-password"),
    path("account", views.account, name="account"),
    path("logout", views.logout, name="logout"),
]
