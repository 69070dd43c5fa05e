"""How dbt nodes appear in Dagster: keys that read well, groups by layer, and
the lineage edges dbt cannot see (landing sources are the ingest assets; the
post-close marts come after the ledger emission, and alert evaluation after a
close it reads)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

_REF = re.compile(r"ref\('([^']+)'\)")


def check_description(test: Mapping[str, Any]) -> str:
    """A dbt test in words: its own description, else what its header comment says a failing row is
    (singular tests), else what the generic test holds of its model and columns."""
    if test.get("description"):
        return test["description"]
    metadata = test.get("test_metadata")
    if not metadata:
        header = [line.removeprefix("--").strip() for line in test.get("raw_code", "").splitlines()
                  if line.startswith("--")]
        return " ".join(header)
    kwargs = metadata["kwargs"]
    model = test["attached_node"].split(".")[-1] if test.get("attached_node") else "the model"
    column = kwargs.get("column_name")
    name = metadata["name"]
    if name == "unique_key":
        return (f"Each ({', '.join(kwargs['columns'])}) appears at most once in {model}. "
                f"A failing row is a repeated key or one with an empty part.")
    if name == "unique_key_recently_landed":
        return (f"Each ({', '.join(kwargs['columns'])}) appears at most once in {model} over the recently landed "
                f"dates (older ones were checked when they landed). A failing row is a repeated key.")
    if name == "not_null":
        return f"{model}.{column} is never empty. A failing row has it empty."
    if name == "relationships":
        target = _REF.search(kwargs["to"])
        return (f"Every {model}.{column} is a {kwargs['field']} of {target.group(1) if target else kwargs['to']}. "
                f"A failing row names one that is not.")
    if name == "accepted_values":
        return f"{model}.{column} is one of {', '.join(map(str, kwargs['values']))}. A failing row holds another value."
    return f"dbt test {name} on {model}."


LEDGER_EMISSION = dg.AssetKey(["close", "monthly_close"])

# Who reads a dbt asset, by its layer: the sentence every description ends with.
AUDIENCE = {
    "staging": "For the close's checks: an error here blocks the close, and the check names the file and row.",
    "intermediate": "For engineers tracing how a billed number was computed.",
    "marts": "For analysts (published in the analytics file), finance, and the exports and Stripe steps.",
    "seeds": "For finance, who review it like code: a change is a commit.",
    "raw": "For ingest's checks and the dbt staging models.",
    "ledger": "For finance and auditors: the record of what was billed.",
}


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
        """The description written in dbt's yml and who it is for; never the model's SQL, which dagster-dbt
        shows by default."""
        text = (dbt_resource_props.get("description") or "").strip()
        audience = AUDIENCE.get(self.get_group_name(dbt_resource_props) or "", "")
        return f"{text} {audience}".strip()

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):  # noqa: ANN001
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return spec._replace(description=check_description(manifest["nodes"][unique_id]))

    def get_asset_spec(self, manifest, unique_id, project):  # noqa: ANN001
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id, {})
        tags = node.get("tags", [])
        if "post_close" in tags:
            spec = spec.merge_attributes(deps=[LEDGER_EMISSION])
        reads_ledger = any(parent.startswith("model.partner_billing.stg_ledger__")
                           for parent in node.get("depends_on", {}).get("nodes", []))
        if "alerts" in tags and reads_ledger:
            # What an alert reads of the ledger (closes, credit balances, fired months) is current after a close.
            spec = spec.merge_attributes(deps=[LEDGER_EMISSION])
        return spec
