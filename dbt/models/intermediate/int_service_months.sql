{#- Every service month the close of close_month() computes: months with usage,
    months with emitted lines (their usage may since have gone), months with a
    commitment in effect, months with a credit purchase or transfer (whose
    account must be a billing owner then), and the month being closed. Whether each was closed decides which account attributes apply. -#}
with months as (
    select service_month from {{ ref('int_usage_monthly') }}
    union
    select service_period from {{ ref('stg_ledger__invoice_lines') }}
    union
    select service_month from {{ ref('int_commitment_months') }}
    union
    select cast(date_trunc('month', purchased_on) as date) from {{ ref('stg_landing__credit_purchases') }}
    union
    select cast(date_trunc('month', transferred_on) as date) from {{ ref('stg_landing__credit_transfers') }}
    union
    select {{ close_month() }}
)

select
    m.service_month,
    c.close_month is not null as is_closed,
    m.service_month = {{ close_month() }} as is_close_month
from months m
left join {{ ref('stg_ledger__closes') }} c on c.close_month = m.service_month
where m.service_month <= {{ close_month() }}
