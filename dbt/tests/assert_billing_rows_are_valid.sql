{{ config(meta={'dagster': {'ref': {'name': 'stg_landing__commitments'}}}) }}
-- A returned row is a row of billing/promotions.csv, billing/commitments.csv
-- or billing/credit_notes.csv that cannot be used, with its file, data row, id
-- and the problem (SPEC §2, §5.7): an unknown account, metric or currency, a
-- currency other than the account's, an account that is not a billing owner
-- in a month the row applies to, a value out of range or not exact in minor
-- digits, a month that is not YYYY-MM, a date that is not a date, a repeated
-- id, or commitments of one account that overlap. (A credit note's line,
-- reason and amount are its rejects, never file errors.)
-- Blocks the close before anything is emitted. Ids off the id pattern fail
-- assert_account_ids_match_the_id_pattern.
with accounts as (
    select 'partner' as billing_account_type, partner_id as billing_account_id, currency
    from {{ ref('stg_landing__partners') }}
    union all
    select 'tenant', tenant_id, currency from {{ ref('stg_landing__tenants') }}
),

promotions as (
    select p.*, a.billing_account_id is not null as account_known
    from {{ ref('stg_landing__promotions') }} p
    left join accounts a using (billing_account_type, billing_account_id)
),

commitments as (
    select k.*, a.billing_account_id is not null as account_known, a.currency as account_currency,
           c.minor_unit_exponent
    from {{ ref('stg_landing__commitments') }} k
    left join accounts a using (billing_account_type, billing_account_id)
    left join {{ ref('currencies') }} c on c.currency = k.currency
),

-- The months a row applies to that the close bills, where its account is not a billing owner.
not_owner as (
    select 'billing/promotions.csv' as file, p.source_row, min(m.service_month) as service_month
    from promotions p
    join {{ ref('int_service_months') }} m
        on m.service_month >= p.valid_from and (p.valid_to is null or m.service_month < p.valid_to)
    where p.billing_account_id is not null and p.account_known
      and not exists (
          select 1 from {{ ref('int_billing_owners_by_month') }} o
          where o.service_month = m.service_month and o.billing_account_type = p.billing_account_type
            and o.billing_account_id = p.billing_account_id)
    group by p.source_row
    union all
    select 'billing/commitments.csv', k.source_row, min(m.service_month)
    from commitments k
    join {{ ref('int_commitment_months') }} m on m.commitment_id = k.commitment_id and m.billing_account_id = k.billing_account_id
    where k.account_known
      and not exists (
          select 1 from {{ ref('int_billing_owners_by_month') }} o
          where o.service_month = m.service_month and o.billing_account_type = k.billing_account_type
            and o.billing_account_id = k.billing_account_id)
    group by k.source_row
),

promotion_problems as (
    select 'billing/promotions.csv' as file, p.source_row, p.promotion_id as id, case
        when p.billing_account_type is null or p.billing_account_type not in ('partner', 'tenant')
            then 'billing_account_type must be partner or tenant'
        when p.billing_account_id is not null and not p.account_known
            then 'unknown ' || p.billing_account_type || ' ' || p.billing_account_id
        when p.metric is not null and p.metric not in (select metric from {{ ref('int_metrics') }})
            then 'unknown metric ' || p.metric
        when p.percent_off is null then 'percent_off is not a plain decimal with at most 6 decimals'
        when p.percent_off <= 0 or p.percent_off > 100 then 'percent_off must be above 0 and at most 100'
        when p.valid_from is null then 'valid_from is not a YYYY-MM month'
        when p.valid_to_text is not null and p.valid_to is null then 'valid_to is not a YYYY-MM month'
        when p.valid_to <= p.valid_from then 'valid_to must be after valid_from'
        when n.source_row is not null
            then p.billing_account_id || ' is not a ' || p.billing_account_type || ' billing owner in '
                 || {{ period_key('n.service_month') }}
    end as problem
    from promotions p
    left join not_owner n on n.file = 'billing/promotions.csv' and n.source_row = p.source_row
),

commitment_problems as (
    select 'billing/commitments.csv' as file, k.source_row, k.commitment_id as id, case
        when k.billing_account_type is null or k.billing_account_type not in ('partner', 'tenant')
            then 'billing_account_type must be partner or tenant'
        when not k.account_known then 'unknown ' || k.billing_account_type || ' ' || coalesce(k.billing_account_id, '')
        when k.minor_unit_exponent is null then 'unknown currency ' || coalesce(k.currency, '')
        when k.currency <> k.account_currency
            then 'currency ' || upper(k.currency) || ' is not the account''s currency ' || upper(k.account_currency)
        when k.monthly_minimum is null then 'monthly_minimum is not a plain decimal'
        when k.monthly_minimum <= 0 then 'monthly_minimum must be above 0'
        when k.minimum_minor is null
            then 'monthly_minimum ' || k.monthly_minimum_text || ' is not exact in ' || upper(k.currency) || '''s '
                 || k.minor_unit_exponent || ' minor digits'
        when k.valid_from is null then 'valid_from is not a YYYY-MM month'
        when k.valid_to is null then 'valid_to is not a YYYY-MM month'
        when k.valid_to <= k.valid_from then 'valid_to must be after valid_from'
        when n.source_row is not null
            then k.billing_account_id || ' is not a ' || k.billing_account_type || ' billing owner in '
                 || {{ period_key('n.service_month') }}
    end as problem
    from commitments k
    left join not_owner n on n.file = 'billing/commitments.csv' and n.source_row = k.source_row
),

credit_note_problems as (
    select 'billing/credit_notes.csv' as file, source_row, credit_note_id as id,
           'issued_on ' || coalesce(issued_on_text, '') || ' is not a date' as problem
    from {{ ref('stg_landing__credit_notes') }}
    where issued_on is null
),

repeated_ids as (
    select 'billing/promotions.csv' as file, b.source_row, b.promotion_id as id,
           'promotion_id repeats row ' || a.source_row as problem
    from promotions a join promotions b on a.promotion_id = b.promotion_id and a.source_row < b.source_row
    union all
    select 'billing/commitments.csv', b.source_row, b.commitment_id, 'commitment_id repeats row ' || a.source_row
    from commitments a join commitments b on a.commitment_id = b.commitment_id and a.source_row < b.source_row
    union all
    select 'billing/credit_notes.csv', b.source_row, b.credit_note_id, 'credit_note_id repeats row ' || a.source_row
    from {{ ref('stg_landing__credit_notes') }} a
    join {{ ref('stg_landing__credit_notes') }} b on a.credit_note_id = b.credit_note_id and a.source_row < b.source_row
),

overlapping as (
    select 'billing/commitments.csv' as file, b.source_row, b.commitment_id as id,
           'overlaps commitment ' || a.commitment_id || ' (row ' || a.source_row || ') of the same account' as problem
    from commitments a
    join commitments b
        on a.billing_account_type = b.billing_account_type and a.billing_account_id = b.billing_account_id
        and a.source_row < b.source_row
        and a.valid_from < b.valid_to and b.valid_from < a.valid_to
)

select * from promotion_problems where problem is not null
union all
select * from commitment_problems where problem is not null
union all
select * from credit_note_problems
union all
select * from repeated_ids
union all
select * from overlapping
order by file, source_row
