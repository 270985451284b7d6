"""Stage 400, RoleTypePipeline: role type, AI flag and seniority, by ``classify_role``
(pipelines/role_classifier.py) on the title and the platform's department."""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter

from pipelines.base import PaywatchPipeline
from pipelines.role_classifier import classify_role

logger = logging.getLogger(__name__)


class RoleTypePipeline(PaywatchPipeline):
    enabled_setting = "PAYWATCH_ROLES_ENABLED"

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        try:
            role = classify_role(adapter.get("title") or "", adapter.get("department"))
        except Exception:
            logger.exception("role classifier failed on %s/%s", adapter.get("company"), adapter.get("ref"))
            self.count("roles/classifier_error")
            return item
        adapter["role_type"] = role.role_type
        adapter["ai_related"] = role.ai_related
        adapter["seniority"] = role.seniority
        self.count(f"roles/{role.role_type}")
        return item
