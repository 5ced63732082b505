"""Field-wise comparison of two plan versions (``compare_versions``).

People ask "what changed since the last meeting?": for each field of
:class:`~datasmart.sip.domain.schemas.PlanContent` the result says whether it changed, and for
lists which items were added and removed, so a page can highlight them without knowing
the schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from datasmart.sip.domain.schemas import PlanContent

__all__ = ["diff_plan_content"]


def _key(item: Any) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)


def diff_plan_content(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """``{field: {"changed", "before", "after"[, "added", "removed"]}}`` for every field.

    ``before``/``after`` are stored contents (``PlanContent.model_dump(mode="json")``);
    fields missing from an old version count as their default.
    """
    defaults = {
        name: (None if field.is_required() else field.get_default(call_default_factory=True))
        for name, field in PlanContent.model_fields.items()
    }
    result: dict[str, Any] = {}
    for name, default in defaults.items():
        old = before.get(name, default)
        new = after.get(name, default)
        entry: dict[str, Any] = {"changed": _key(old) != _key(new), "before": old, "after": new}
        if isinstance(old, list) and isinstance(new, list):
            old_keys = {_key(item) for item in old}
            new_keys = {_key(item) for item in new}
            entry["added"] = [item for item in new if _key(item) not in old_keys]
            entry["removed"] = [item for item in old if _key(item) not in new_keys]
        result[name] = entry
    return result
