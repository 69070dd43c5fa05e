"""dbt models as Dagster assets: four sets, one per partitioning and stage.

- daily: unpartitioned, in the ingest job after the landing dates (incremental daily grain);
- close: month partitioned, everything up to the proposed lines and their checks;
- reporting: month partitioned, the marts over the ledger, after the emission;
- alerts: unpartitioned, alert evaluation after each ingest and each close.
"""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.alerts.definitions import ALERT_DELIVERIES, FIRED_ALERTS
from dagster_project.defs.partitions import next_month, service_months
from dagster_project.defs.ingest.readiness import require_ingested
from dagster_project.defs.settings import DUCKDB_POOL, PipelineSettings
from dagster_project.defs.warehouse.cli_args import (
    ALERT_SELECTION,
    CLOSE_EXCLUSION,
    DAILY_SELECTION,
    REPORTING_SELECTION,
    build_args,
    dbt_environment,
    dbt_target_path,
)
from dagster_project.dbt_project import DBT_EXECUTABLE, dbt_project
from dagster_project.ledger_tables import ensure_ledger_tables
from dagster_project.defs.warehouse.failing_rows import blocked_markdown, with_failing_rows
from dagster_project.defs.warehouse.resource import PartnerBillingDbtCli
from dagster_project.defs.warehouse.translator import AUDIENCE, LEDGER_EMISSION, PartnerBillingTranslator

translator = PartnerBillingTranslator()
# Months close one at a time, in order: never several in one run.
ONE_MONTH_PER_RUN = dg.BackfillPolicy.multi_run(max_partitions_per_run=1)


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    """Set variables for the dbt process started inside the block.

    dagster-dbt gives its dbt subprocess a copy of os.environ and takes no
    environment of its own, so this is the one place the environment is set,
    for the length of the call, with what dbt_environment() says.
    """
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: PipelineSettings,
           partition_key: str | None, stops_the_close: bool = False):
    """`dbt build` of the assets of this run, with the close month (or none) in dbt's environment.

    dbt reads the ledger's tables as sources, so they must exist (and be
    migrated) before it starts; their owner, the emission, defines them.
    """
    with settings.ledger() as ledger:
        ensure_ledger_tables(ledger)
    target_path = dbt_target_path(settings.warehouse_path)
    with _environment(dbt_environment(settings, partition_key)):
        invocation = dbt.cli(build_args(), context=context, target_path=target_path, raise_on_error=False)
    failed = []
    for event in invocation.stream():
        if isinstance(event, dg.AssetCheckResult) and not event.passed:
            failed.append(event)
        else:
            yield event
    # dbt has exited, so the warehouse can be read for the rows each failed test returned.
    reported = [with_failing_rows(result, settings, target_path, dbt_project.manifest_path) for result in failed]
    yield from reported
    blocking = [(r, context.assets_def.get_spec_for_check_key(dg.AssetCheckKey(r.asset_key, r.check_name)))
                for r in reported if r.severity == dg.AssetCheckSeverity.ERROR]
    if blocking and stops_the_close:
        # The close asset never runs after a failed blocking check; this puts what stopped it on its page.
        context.log_event(dg.AssetObservation(asset_key=LEDGER_EMISSION, partition=partition_key,
                                              metadata={"blocked_by": dg.MetadataValue.md(blocked_markdown(blocking))}))
    error = invocation.get_error()
    if error is not None:
        raise error


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=DAILY_SELECTION,
    dagster_dbt_translator=translator,
    name="daily_dbt_models",
    pool=DUCKDB_POOL,
)
def daily_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: PipelineSettings):
    """The incremental daily grain picks up every newly ingested landing date by itself.

    Not partitioned: one build covers whatever the run ingested, and a year's
    replay would otherwise record a materialization of each model for each of
    its landing dates in Dagster's event log.
    """
    yield from _build(context, dbt, settings, partition_key=None)


def alert_inputs_missing(settings: PipelineSettings, manifest: dict) -> list[str]:
    """The relations alert evaluation reads that the warehouse does not hold yet, as schema.name.

    Evaluation reads the staging views, seeds and ledger views a close builds:
    until a warehouse's first close they are missing, and the dates wait for the
    evaluation after that close (their values do not depend on when they are
    evaluated).
    """
    nodes = manifest["nodes"]
    alert_nodes = [node for node in nodes.values() if "alerts" in node.get("tags", [])]
    needed = {(nodes[parent]["schema"], nodes[parent]["alias"])
              for node in alert_nodes for parent in node.get("depends_on", {}).get("nodes", [])
              if parent in nodes and "alerts" not in nodes[parent].get("tags", [])}
    with settings.warehouse(read_only=True) as con:
        present = set(con.execute("select table_schema, table_name from information_schema.tables").fetchall())
    return sorted(f"{schema}.{name}" for schema, name in needed - present)


def alert_rules_landed(settings: PipelineSettings) -> int:
    with settings.warehouse(read_only=True) as con:
        present = con.execute("select count(*) from information_schema.tables "
                              "where table_schema = 'raw' and table_name = 'alert_rules'").fetchone()[0]
        return con.execute("select count(*) from raw.alert_rules").fetchone()[0] if present else 0


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=ALERT_SELECTION,
    dagster_dbt_translator=translator,
    name="alert_dbt_models",
    pool=DUCKDB_POOL,
)
def alert_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: PipelineSettings):
    """Alert rules evaluated on every landing date, month to date (SPEC §5.12), after each ingest and close.

    Without billing/alert_rules.csv there is nothing to evaluate, and nothing
    is built: the alerts steps after it are skipped. Before a warehouse's first
    close the pricing and ledger views it reads do not exist yet; the close
    evaluates every date then.
    """
    if not alert_rules_landed(settings):
        context.log.info("no alert rules landed (billing/alert_rules.csv): nothing to evaluate")
        return
    missing = alert_inputs_missing(settings, json.loads(dbt_project.manifest_path.read_text()))
    if missing:
        context.log.info(f"alert evaluation waits for the first close, which builds {', '.join(missing)}")
        return
    yield from _build(context, dbt, settings, partition_key=None)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=CLOSE_EXCLUSION,
    dagster_dbt_translator=translator,
    partitions_def=service_months,
    backfill_policy=ONE_MONTH_PER_RUN,
    name="close_dbt_models",
    pool=DUCKDB_POOL,
)
def close_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: PipelineSettings):
    """The close refuses to start while a landing date up to its close date is not ingested."""
    close_date = next_month(date.fromisoformat(context.partition_key))
    require_ingested(settings, close_date)
    yield from _build(context, dbt, settings, context.partition_key, stops_the_close=True)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=REPORTING_SELECTION,
    dagster_dbt_translator=translator,
    partitions_def=service_months,
    backfill_policy=ONE_MONTH_PER_RUN,
    name="reporting_dbt_models",
    pool=DUCKDB_POOL,
)
def reporting_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: PipelineSettings):
    yield from _build(context, dbt, settings, context.partition_key)


# The ledger tables not written by the close's emission, and their writer.
LEDGER_WRITERS = {"alert_events": FIRED_ALERTS, "alert_deliveries": ALERT_DELIVERIES}


def ledger_table_specs() -> list[dg.AssetSpec]:
    """The ledger's tables, which dbt reads as sources: the close's emission appends to them (the alert
    assets to theirs).

    They have no upstream edge to their writer, which reads them itself (what
    earlier runs appended) before it appends: the edge would be a cycle.
    """
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return [
        translator.get_asset_spec(manifest, unique_id, dbt_project).replace_attributes(
            description=f"{source['description']} Appended to by "
                        f"{LEDGER_WRITERS.get(source['name'], LEDGER_EMISSION).to_user_string()}; never rebuilt. "
                        f"{AUDIENCE['ledger']}")
        for unique_id, source in sorted(manifest["sources"].items()) if source["source_name"] == "ledger"
    ]


def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[daily_dbt_models, close_dbt_models, reporting_dbt_models, alert_dbt_models, *ledger_table_specs()],
        resources={"dbt": PartnerBillingDbtCli.dying_with_its_parent(dbt_project, DBT_EXECUTABLE)},
    )
