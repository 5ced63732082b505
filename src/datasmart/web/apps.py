from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "datasmart.web"
    label = "web"
    verbose_name = "Webb"
