{{ config(tags=['alerts']) }}
{#- Every ingested landing date d with the close whose credit balance its
    alerts read (SPEC §5.12): the last close before d, that of the month
    before d - 1 day's month (a month closes on the 1st of the next). Before
    the first close the balance is 0. A date is evaluable once that close is in
    the ledger: until then its credit balance is not known, and it waits. -#}
with landed as (
    select distinct landing_date from {{ ref('stg_landing__usage_partitions') }}
),

closes as (
    select close_month from {{ ref('stg_ledger__closes') }}
),

first_month as (
    select coalesce((select min(close_month) from closes),
                    (select min(cast(date_trunc('month', landing_date) as date)) from landed)) as first_month
),

dated as (
    select landing_date,
           cast(date_trunc('month', landing_date) as date) as month,
           cast(date_trunc('month', landing_date - interval 1 day) - interval 1 month as date) as last_close_month
    from landed
)

select
    d.landing_date,
    d.month,
    case when d.last_close_month >= f.first_month then d.last_close_month end as balance_close_month,
    d.last_close_month < f.first_month
        or exists (select 1 from closes c where c.close_month = d.last_close_month) as evaluable
from dated d
cross join first_month f
