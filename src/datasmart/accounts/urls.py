from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("logga-in/", views.LoginView.as_view(), name="login"),
    path("logga-ut/", views.LogoutView.as_view(), name="logout"),
    path("api-nycklar/", views.tokens, name="tokens"),
    path("api-nycklar/<int:token_id>/aterkalla/", views.revoke_token, name="revoke_token"),
    path("granskningslogg/", views.audit_log, name="audit_log"),
]
