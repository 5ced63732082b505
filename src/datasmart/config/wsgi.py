"""WSGI entry point: ``gunicorn datasmart.config.wsgi`` in production."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datasmart.config.settings")
application = get_wsgi_application()
