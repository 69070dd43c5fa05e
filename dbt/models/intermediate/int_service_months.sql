{#- Every service month the close of close_month() computes: months with usage,
    months with emitted lines (their usage may since have gone), months with a
    commitment in effect, and the month being closed. Whether each was closed decides which account attributes apply. -#}
with months as (
    select service_month from {{ ref('int_usage_monthly') }}
    union
    select service_period from {{ ref('stg_ledger__invoice_lines') }}
    union
    select service_month from {{ ref('int_commitment_months') }}
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
