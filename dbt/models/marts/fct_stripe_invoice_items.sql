{{ config(tags=['post_close']) }}
{#- One row per Stripe invoice item to send: each emitted line, split into
    parts of at most Stripe's 8-digit amount limit that sum to the line. The
    customer is the billing account's stripe_customer_id at the close of the
    invoice period (empty: the emitter creates one and remembers it). -#}
{% set max_amount = var('stripe_max_item_amount_minor') %}
with lines as (
    select * from {{ ref('stg_ledger__invoice_lines') }}
),

accounts as (
    select close_month, 'partner' as billing_account_type, partner_id as billing_account_id, name, stripe_customer_id
    from {{ ref('stg_ledger__partner_snapshots') }}
    union all
    select close_month, 'tenant', tenant_id, name, stripe_customer_id
    from {{ ref('stg_ledger__tenant_snapshots') }}
),

split as (
    select l.*, (abs(l.amount_minor) + {{ max_amount - 1 }}) // {{ max_amount }} as parts
    from lines l
)

select
    s.invoice_period,
    s.billing_account_type,
    s.billing_account_id,
    a.name as billing_account_name,
    a.stripe_customer_id,
    s.currency,
    s.line_key,
    s.line_type,
    s.reference,
    s.credits_line_key,
    s.description,
    s.service_period,
    cast(s.service_period + interval 1 month as date) as service_period_end,
    cast(p.part as integer) as part,
    cast(greatest(s.parts, 1) as integer) as parts,
    cast(case
        when p.part < s.parts then sign(s.amount_minor) * {{ max_amount }}
        else s.amount_minor - sign(s.amount_minor) * {{ max_amount }} * (greatest(s.parts, 1) - 1)
    end as bigint) as amount_minor
from split s
cross join lateral (select unnest(generate_series(1, greatest(s.parts, 1))) as part) p
left join accounts a
    on a.close_month = s.invoice_period
    and a.billing_account_type = s.billing_account_type
    and a.billing_account_id = s.billing_account_id
