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

    def gateway(self, ledger: StripeLedger, run_id: str):
        if self.mode == "outbox":
            return OutboxGateway(ledger, run_id)
        if self.mode != "live":
            raise dg.Failure(f"STRIPE_MODE must be outbox or live, not {self.mode!r}")
        api_key = env("STRIPE_API_KEY")
        if not api_key:
            raise dg.Failure("STRIPE_MODE=live needs STRIPE_API_KEY in the environment")
        return LiveGateway(api_key, self.api_base or None, requests_per_second=self.requests_per_second,
                           max_attempts=self.max_attempts)


@dg.multi_asset(
    specs=[dg.AssetSpec(STRIPE_INVOICE_ITEMS, deps=[STRIPE_ITEMS_MART], group_name="stripe",
                        description="Every emitted line as Stripe invoice items on draft invoices, once per mode.")],
    pool=DUCKDB_POOL,
)
def stripe_invoice_items(context: dg.AssetExecutionContext, settings: PipelineSettings,
                         stripe: StripeSettings) -> dg.MaterializeResult:
    with settings.warehouse(read_only=True) as con:
        items = read_items(con)
    with settings.ledger() as con:
        ledger = StripeLedger(con, stripe.mode)
        report = send_unsent(items, ledger, stripe.gateway(ledger, context.run.run_id), finalize=stripe.finalize)
    context.log.info(
        f"{stripe.mode}: {report.items_created} items created, {report.items_found_existing} found on Stripe, "
        f"{report.items_already_confirmed} already confirmed"
    )
    return dg.MaterializeResult(metadata={
        "mode": stripe.mode,
        "customers_created": report.customers_created,
        "invoices_created": report.invoices_created,
        "items_created": report.items_created,
        "items_found_existing": report.items_found_existing,
        "items_skipped_already_sent": report.items_already_confirmed,
        "invoices_finalized": report.invoices_finalized,
        "sent_minor_by_currency": dg.MetadataValue.json(dict(sorted(report.sent_minor_by_currency.items()))),
        "ledger": str(Path(settings.ledger_path)),
    })


send_to_stripe_job = dg.define_asset_job(
    "send_to_stripe_job", selection=[STRIPE_INVOICE_ITEMS],
    description="Send every emitted line not yet confirmed in the current mode (STRIPE_MODE).",
)


def defs() -> dg.Definitions:
    return dg.Definitions(assets=[stripe_invoice_items], jobs=[send_to_stripe_job],
                          resources={"stripe": StripeSettings.from_env()})
