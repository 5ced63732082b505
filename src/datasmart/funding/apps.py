from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "datasmart.funding"
    label = "funding"
    verbose_name = "Överenskommelser och medel"
