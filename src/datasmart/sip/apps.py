from django.apps import AppConfig


class SipConfig(AppConfig):
    """Samordnad individuell plan (SIP). Plans are read and written only through
    :mod:`datasmart.sip.services`; there is deliberately no admin for them."""

    name = "datasmart.sip"
    label = "sip"
    verbose_name = "SIP – samordnad individuell plan"
