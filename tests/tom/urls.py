from django.urls import include, path

urlpatterns = [
    path("alerts/", include("tom_alerts.urls", namespace="alerts")),
    path("", include("tom_common.urls")),
]
