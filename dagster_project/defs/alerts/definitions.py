"""Usage and spend alerts (SPEC §5.12): fired once into the ledger, then delivered, like Stripe sending.

dbt evaluates the rules (alert_dbt_models); alert_events appends what fired to
the ledger; alert_deliveries posts (or writes to the outbox) every event not
delivered yet. They run in every ingest run and, as alerts_job, after every
close.
"""

from pathlib import Path

import dagster as dg

from dagster_project.defs.settings import DEFAULTS, DUCKDB_POOL, PipelineSettings, env
from dagster_project.ledger_tables import ALERT_EVENTS, ensure_ledger_tables
from exports.alerts.webhooks import allowed_hosts, deliver
from ingest.duckdb_sql import literal

PROPOSED_ALERTS = dg.AssetKey(["marts", "fct_proposed_alert_events"])
FIRED_ALERTS = dg.AssetKey(["alerts", "alert_events"])
ALERT_DELIVERIES = dg.AssetKey(["alerts", "alert_deliveries"])
ALERTS_GROUP = "alerts"
FIRING_STAMP = ("fired_at", "run_id")


class AlertSettings(dg.ConfigurableResource):
    """Delivery mode and allowed hosts from the environment. The signing secret is read from
    ALERT_WEBHOOK_SECRET only when sending, and is never stored in config, logs or metadata."""

    mode: str = DEFAULTS["ALERT_MODE"]
    webhook_hosts: str = DEFAULTS["ALERT_WEBHOOK_HOSTS"]
    timeout_seconds: float = 10.0
    max_attempts: int = 5
    backoff_seconds: float = 0.5

    @classmethod
    def from_env(cls) -> "AlertSettings":
        return cls(mode=env("ALERT_MODE"), webhook_hosts=env("ALERT_WEBHOOK_HOSTS"))


def fire(settings: PipelineSettings, run_id: str) -> list[dict]:
    """Append the proposed events to the ledger in one transaction, each event id once; returns those appended."""
    columns = ALERT_EVENTS.column_names(without=FIRING_STAMP)
    with settings.ledger() as con:
        ensure_ledger_tables(con)
        con.execute(f"attach {literal(settings.warehouse_path)} as wh (read_only)")
        con.execute("begin transaction")
        cursor = con.execute(
            f"""
            insert into main.alert_events ({ALERT_EVENTS.column_names()})
            select {columns}, now()::timestamp, $run_id
            from wh.marts.fct_proposed_alert_events p
            where not exists (select 1 from main.alert_events e where e.event_id = p.event_id)
            order by p.landing_date, p.event_id
            returning event_id, alert_id, billing_account_id, landing_date, measure, metric, value, threshold, currency
            """, {"run_id": run_id})
        names = [c[0] for c in cursor.description]
        fired = [dict(zip(names, row)) for row in cursor.fetchall()]
        con.execute("commit")
    return fired


def _events_markdown(fired: list[dict]) -> str:
    if not fired:
        return "none"
    rows = [f"| {e['event_id']} | {e['billing_account_id']} | {e['landing_date']} | {e['measure']}"
            f"{' ' + e['metric'] if e['metric'] else ''} | {e['value']} | {e['threshold']} |" for e in fired]
    return "\n".join(["| Event | Account | Landing date | Measure | Value | Threshold |", "|---|---|---|---|--:|--:|", *rows])


@dg.asset(key=FIRED_ALERTS, deps=[PROPOSED_ALERTS], group_name=ALERTS_GROUP, pool=DUCKDB_POOL,
          description="Alerts that fired (SPEC §5.12): the proposed events appended to the ledger's alert_events, "
                      "once per rule and month; a fired month never fires again, whatever is re-ingested. "
                      "For finance and the partners' operators.")
def alert_events(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
    fired = fire(settings, context.run.run_id)
    by_measure: dict[str, int] = {}
    for event in fired:
        by_measure[event["measure"]] = by_measure.get(event["measure"], 0) + 1
    return dg.MaterializeResult(metadata={
        "fired": len(fired),
        "fired_by_measure": dg.MetadataValue.json(dict(sorted(by_measure.items()))),
        "events": dg.MetadataValue.md(_events_markdown(fired)),
    })


EVERY_EVENT_DELIVERED = dg.AssetCheckSpec(
    "every_fired_alert_delivered",
    asset=ALERT_DELIVERIES,
    description="Every fired alert with a webhook was delivered in this mode; reports each that failed, with the "
                "status or reason (a 4xx, retries used up, a host not allowed). Never blocks: the next delivery "
                "run tries it again.",
)


@dg.multi_asset(
    specs=[dg.AssetSpec(ALERT_DELIVERIES, deps=[FIRED_ALERTS], group_name=ALERTS_GROUP,
                        description="Every fired alert posted to its webhook (ALERT_MODE=live) or its exact request "
                                    "written to the outbox (outbox, the default), once per mode; the outcomes are "
                                    "the ledger's alert_deliveries. For finance and the partners' operators.")],
    check_specs=[EVERY_EVENT_DELIVERED],
    pool=DUCKDB_POOL,
)
def alert_deliveries(context: dg.AssetExecutionContext, settings: PipelineSettings, alerts: AlertSettings):
    if alerts.mode not in ("outbox", "live"):
        raise dg.Failure(f"ALERT_MODE must be outbox or live, not {alerts.mode!r}")
    with settings.ledger() as con:
        ensure_ledger_tables(con)
        report = deliver(con, mode=alerts.mode, secret=env("ALERT_WEBHOOK_SECRET"),
                         hosts=allowed_hosts(alerts.webhook_hosts), run_id=context.run.run_id,
                         timeout_seconds=alerts.timeout_seconds, max_attempts=alerts.max_attempts,
                         backoff_seconds=alerts.backoff_seconds)
    yield dg.MaterializeResult(metadata={
        "mode": alerts.mode,
        "delivered": len(report.delivered),
        "failed": len(report.failed),
        "already_delivered": report.already_delivered,
        "without_webhook": report.without_webhook,
        "ledger": str(Path(settings.ledger_path)),
    })
    yield dg.AssetCheckResult(
        check_name=EVERY_EVENT_DELIVERED.name,
        passed=not report.failed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"failed_events": len(report.failed),
                  "failures": "\n".join(f"{event_id}: {reason}" for event_id, reason in report.failed) or "none"},
    )


# dagster-dbt turns the dbt tag `alerts` into this asset tag.
ALERTS = dg.AssetSelection.tag("alerts", "") | dg.AssetSelection.groups(ALERTS_GROUP)

alerts_job = dg.define_asset_job(
    "alerts_job", selection=ALERTS,
    description="Evaluate the alert rules at every landing date, fire what crossed its threshold, deliver every "
                "event not yet delivered (also part of ingest_job; launched after each close by alerts_after_close).",
)


def defs() -> dg.Definitions:
    return dg.Definitions(assets=[alert_events, alert_deliveries], jobs=[alerts_job],
                          resources={"alerts": AlertSettings.from_env()})
