"""How dbt nodes appear in Dagster: keys that read well, groups by layer, and
the lineage edges dbt cannot see (landing sources are the ingest assets; the
post-close marts come after the ledger emission)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

LEDGER_EMISSION = dg.AssetKey(["close", "monthly_close"])


class PartnerBillingTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_code_references=False))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        kind = dbt_resource_props["resource_type"]
        name = dbt_resource_props["name"]
        if kind == "source":
            schema = "raw" if dbt_resource_props["source_name"] == "landing" else "ledger"
            return dg.AssetKey([schema, name])
        if kind == "seed":
            return dg.AssetKey(["seeds", name])
        return dg.AssetKey([dbt_resource_props["fqn"][1], name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        if dbt_resource_props["resource_type"] == "source":
            return "raw" if dbt_resource_props["source_name"] == "landing" else "ledger"
        return dbt_resource_props["fqn"][1]

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The description written in dbt's yml; never the model's SQL, which dagster-dbt shows by default."""
        return dbt_resource_props.get("description") or ""

    def get_asset_spec(self, manifest, unique_id, project):  # noqa: ANN001
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id, {})
        if "post_close" in node.get("tags", []):
            spec = spec.merge_attributes(deps=[LEDGER_EMISSION])
        return spec
