from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KraftsamlingConfig(AppConfig):
    name = "datasmart.kraftsamling"
    label = "kraftsamling"
    verbose_name = _("Kraftsamling för psykisk hälsa")
