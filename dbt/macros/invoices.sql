{#- One invoice per billing account, invoice period and currency with lines
    (SPEC §5.11): subtotal = usage, adjustment, commitment,
    commitment_adjustment and credit_note lines; credits = credit lines;
    purchases = credit_purchase lines; total = every line. -#}
{% macro invoices_of(lines) %}
select
    invoice_period,
    billing_account_type,
    billing_account_id,
    currency,
    cast(count(*) as integer) as lines,
    cast(coalesce(sum(case when line_type in ('usage', 'adjustment', 'commitment', 'commitment_adjustment', 'credit_note')
                           then amount_minor end), 0) as bigint) as subtotal_minor,
    cast(coalesce(sum(case when line_type = 'credit' then amount_minor end), 0) as bigint) as credits_minor,
    cast(coalesce(sum(case when line_type = 'credit_purchase' then amount_minor end), 0) as bigint) as purchases_minor,
    cast(sum(amount_minor) as bigint) as total_minor
from {{ lines }}
group by invoice_period, billing_account_type, billing_account_id, currency
{% endmacro %}

{#- Invoices that do not add up to their lines: a total other than the sum of
    the lines or of subtotal + credits + purchases, a line count other than the
    lines', credits above 0 or below -subtotal, a line of an unknown type, or
    lines without an invoice. -#}
{% macro invoice_mismatches(invoices, lines) %}
with by_invoice as (
    select invoice_period, billing_account_type, billing_account_id, currency,
           count(*) as lines, sum(amount_minor) as total_minor,
           sum(case when line_type not in ('usage', 'adjustment', 'commitment', 'commitment_adjustment',
                                           'credit_note', 'credit', 'credit_purchase') then 1 else 0 end) as unknown_types
    from {{ lines }}
    group by invoice_period, billing_account_type, billing_account_id, currency
)

select coalesce(i.invoice_period, l.invoice_period) as invoice_period,
       coalesce(i.billing_account_type, l.billing_account_type) as billing_account_type,
       coalesce(i.billing_account_id, l.billing_account_id) as billing_account_id,
       coalesce(i.currency, l.currency) as currency,
       i.total_minor as invoice_total_minor, l.total_minor as lines_total_minor,
       i.lines as invoice_lines, l.lines as lines
from {{ invoices }} i
full outer join by_invoice l
    on l.invoice_period = i.invoice_period and l.billing_account_type = i.billing_account_type
    and l.billing_account_id = i.billing_account_id and l.currency = i.currency
where i.total_minor is null or l.total_minor is null
   or i.total_minor <> l.total_minor
   or i.lines <> l.lines
   or i.total_minor <> i.subtotal_minor + i.credits_minor + i.purchases_minor
   or i.credits_minor > 0 or i.credits_minor < -greatest(i.subtotal_minor, 0)
   or l.unknown_types > 0
{% endmacro %}
