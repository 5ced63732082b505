from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "datasmart.accounts"
    label = "accounts"
    verbose_name = "Konton och behörigheter"
