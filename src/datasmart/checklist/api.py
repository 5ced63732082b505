"""REST endpoints of Politikerchecklistan, mounted at ``/api/checklist``."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["politikerchecklistan"])
