"""Sending emitted lines to Stripe: separate from closing, exactly once per mode."""

from pathlib import Path

import dagster as dg

from dagster_project.defs.settings import DEFAULTS, DUCKDB_POOL, PipelineSettings, env
from exports.stripe.gateway import LiveGateway, OutboxGateway
from exports.stripe.ledger import StripeLedger
from exports.stripe.sender import read_items, send_unsent

STRIPE_ITEMS_MART = dg.AssetKey(["marts", "fct_stripe_invoice_items"])
STRIPE_INVOICE_ITEMS = dg.AssetKey(["stripe", "invoice_items"])


class StripeSettings(dg.ConfigurableResource):
    """Mode and limits from the environment. The API key is read from STRIPE_API_KEY
    only when sending live, and is never stored in config, logs or metadata."""

    mode: str = DEFAULTS["STRIPE_MODE"]
    api_base: str = DEFAULTS["STRIPE_API_BASE"]
    requests_per_second: int = int(DEFAULTS["STRIPE_REQUESTS_PER_SECOND"])
    max_attempts: int = 6
    finalize: bool = DEFAULTS["STRIPE_FINALIZE"] == "true"

    @classmethod
    def from_env(cls) -> "StripeSettings":
        return cls(
            mode=env("STRIPE_MODE"),
            api_base=env("STRIPE_API_BASE"),
            requests_per_second=int(env("STRIPE_REQUESTS_PER_SECOND")),
            finalize=env("STRIPE_FINALIZE").lower() == "true",
        )

    def configuration_problem(self) -> str | None:
        """What stops sending in this mode, checked before anything is closed; None when it can send."""
        if self.mode not in ("outbox", "live"):
            return f"STRIPE_MODE must be outbox or live, not {self.mode!r}"
        if self.mode == "live" and not env("STRIPE_API_KEY"):
            return "STRIPE_MODE=live needs STRIPE_API_KEY in the environment"
        return None

    def gateway(self, ledger: StripeLedger, run_id: str):
        problem = self.configuration_problem()
        if problem:
            raise dg.Failure(problem)
        if self.mode == "outbox":
            return OutboxGateway(ledger, run_id)
        api_key = env("STRIPE_API_KEY")
        return LiveGateway(api_key, self.api_base or None, requests_per_second=self.requests_per_second,
                           max_attempts=self.max_attempts)


EVERY_LINE_SENT = dg.AssetCheckSpec(
    "every_emitted_line_sent",
    asset=STRIPE_INVOICE_ITEMS,
    description="Every emitted line not yet confirmed was sent in this run; fails naming each line Stripe "
                "still refused (the others are sent), and the next run sends it.",
)


@dg.multi_asset(
    specs=[dg.AssetSpec(STRIPE_INVOICE_ITEMS, deps=[STRIPE_ITEMS_MART], group_name="stripe",
                        description="Every emitted line as Stripe invoice items on draft invoices, once per mode. "
                        "For finance, who review the outbox or the draft invoices in Stripe.")],
    check_specs=[EVERY_LINE_SENT],
    pool=DUCKDB_POOL,
)
def stripe_invoice_items(context: dg.AssetExecutionContext, settings: PipelineSettings,
                         stripe: StripeSettings):
    with settings.warehouse(read_only=True) as con:
        items = read_items(con)
    with settings.ledger() as con:
        ledger = StripeLedger(con, stripe.mode)
        report = send_unsent(items, ledger, stripe.gateway(ledger, context.run.run_id), finalize=stripe.finalize)
    context.log.info(
        f"{stripe.mode}: {report.items_created} items created, {report.items_found_existing} found on Stripe, "
        f"{report.items_already_confirmed} already confirmed"
    )
    yield dg.MaterializeResult(metadata={
        "mode": stripe.mode,
        "customers_created": report.customers_created,
        "invoices_created": report.invoices_created,
        "items_created": report.items_created,
        "items_found_existing": report.items_found_existing,
        "items_skipped_already_sent": report.items_already_confirmed,
        "invoices_finalized": report.invoices_finalized,
        "sent_minor_by_currency": dg.MetadataValue.json(dict(sorted(report.sent_minor_by_currency.items()))),
        "ledger": str(Path(settings.ledger_path)),
        "items_failed": len(report.failed),
    })
    yield dg.AssetCheckResult(
        check_name=EVERY_LINE_SENT.name,
        passed=not report.failed,
        metadata={
            "failed_lines": len(report.failed),
            "failures": "\n".join(f"{line_key} (part {part}): {reason}" for line_key, part, reason in report.failed)
                        or "none",
        },
    )


send_to_stripe_job = dg.define_asset_job(
    "send_to_stripe_job", selection=[STRIPE_INVOICE_ITEMS],
    description="Send every emitted line not yet confirmed in the current mode (STRIPE_MODE).",
)


def defs() -> dg.Definitions:
    return dg.Definitions(assets=[stripe_invoice_items], jobs=[send_to_stripe_job],
                          resources={"stripe": StripeSettings.from_env()})
