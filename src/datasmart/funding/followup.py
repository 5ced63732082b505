"""Transitional alias: the module is :mod:`datasmart.funding.services.followup`.

Kept only while ``tests/test_permission_matrix.py`` (being edited by another change) still
writes ``from datasmart.funding import followup``; delete this file once it imports
``from datasmart.funding.services import followup``. Nothing in ``src`` imports it.
"""

import sys

from datasmart.funding.services import followup as _followup

sys.modules[__name__] = _followup
