{{ config(meta={'dagster': {'ref': {'name': 'fct_proposed_invoices'}}}) }}
-- A returned row is a proposed invoice whose total is not the sum of its lines
-- or of subtotal + credits + purchases, whose credits are above 0 or below
-- -subtotal, or whose lines have no invoice (SPEC §5.11). Blocks the close.
{{ invoice_mismatches(ref('fct_proposed_invoices'), ref('fct_proposed_invoice_lines')) }}
