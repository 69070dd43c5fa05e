{{ config(meta={'dagster': {'ref': {'name': 'fct_invoices'}}}) }}
-- A returned row is an emitted invoice whose total is not the sum of its
-- lines or of subtotal + credits + purchases, whose credits are above 0 or
-- below -subtotal, or whose lines have no invoice (SPEC §5.11).
{{ invoice_mismatches(ref('fct_invoices'), ref('fct_invoice_lines')) }}
