{{ config(meta={'dagster': {'ref': {'name': 'stg_landing__commitments'}}}) }}
-- A returned row is a row of a billing/ file (promotions, commitments, credit
-- notes, credit purchases, transfers, top-up rules) or of the credit_packages
-- seed that cannot be used, with its file, data row, id and the problem (SPEC
-- §2, §5.7): an unknown account, metric, package or currency, a currency
-- other than the account's, an account that is not a billing owner in a month
-- the row applies to, a value out of range or not exact in minor digits, a
-- month that is not YYYY-MM, a date that is not a date, a repeated id,
-- commitments of one account that overlap, or a transfer outside one partner
-- hierarchy. (A credit note's line, reason and amount are its rejects, and a
-- transfer above the sender's balance is rejected at its close: never file
-- errors.)
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

packages as (
    select k.*, row_number() over (order by k.package) as source_row from {{ ref('int_credit_packages') }} k
),

package_problems as (
    select 'dbt/seeds/credit_packages.csv' as file, source_row, package as id, case
        when minor_unit_exponent is null then 'unknown currency ' || coalesce(currency, '')
        when {{ parse_plain_decimal('credit_amount') }} is null or {{ parse_plain_decimal('credit_amount') }} <= 0
            then 'credit_amount must be a plain decimal above 0'
        when credit_amount_value is null
            then 'credit_amount ' || credit_amount || ' is not exact in ' || upper(currency) || '''s '
                 || minor_unit_exponent || ' minor digits'
        when {{ parse_plain_decimal('price') }} is null then 'price must be a plain decimal'
        when price_value is null
            then 'price ' || price || ' is not exact in ' || upper(currency) || '''s ' || minor_unit_exponent
                 || ' minor digits'
        when validity_months_text is not null and (validity_months is null or validity_months < 1)
            then 'validity_months must be a whole number of months >= 1, or empty'
    end as problem
    from packages
),

purchases as (
    select p.*, a.billing_account_id is not null as account_known, a.currency as account_currency,
           k.package is not null as package_known, k.currency as package_currency
    from {{ ref('stg_landing__credit_purchases') }} p
    left join accounts a using (billing_account_type, billing_account_id)
    left join {{ ref('int_credit_packages') }} k using (package)
),

purchase_problems as (
    select 'billing/credit_purchases.csv' as file, p.source_row, p.purchase_id as id, case
        when p.billing_account_type is null or p.billing_account_type not in ('partner', 'tenant')
            then 'billing_account_type must be partner or tenant'
        when not p.account_known then 'unknown ' || p.billing_account_type || ' ' || coalesce(p.billing_account_id, '')
        when not p.package_known then 'unknown package ' || coalesce(p.package, '')
        when p.package_currency <> p.account_currency
            then 'package ' || p.package || ' is in ' || upper(p.package_currency) || ', not the account''s currency '
                 || upper(p.account_currency)
        when p.quantity is null or p.quantity < 1 then 'quantity must be a whole number >= 1'
        when p.purchased_on is null then 'purchased_on ' || coalesce(p.purchased_on_text, '') || ' is not a date'
        when p.purchased_on <= last_day({{ close_month() }}) and not exists (
                select 1 from {{ ref('int_billing_owners_by_month') }} o
                where o.service_month = date_trunc('month', p.purchased_on)
                  and o.billing_account_type = p.billing_account_type and o.billing_account_id = p.billing_account_id)
            then p.billing_account_id || ' is not a ' || p.billing_account_type || ' billing owner in '
                 || {{ period_key('p.purchased_on') }}
    end as problem
    from purchases p
),

transfers as (
    select t.*, c.minor_unit_exponent, pf.currency as from_currency, pt.currency as to_currency,
           rf.root_partner_id as from_root, rt.root_partner_id as to_root
    from {{ ref('stg_landing__credit_transfers') }} t
    left join {{ ref('currencies') }} c on c.currency = t.currency
    left join {{ ref('stg_landing__partners') }} pf on pf.partner_id = t.from_partner_id
    left join {{ ref('stg_landing__partners') }} pt on pt.partner_id = t.to_partner_id
    left join {{ ref('int_partner_roots') }} rf on rf.partner_id = t.from_partner_id
    left join {{ ref('int_partner_roots') }} rt on rt.partner_id = t.to_partner_id
),

-- Both partners of a transfer dated up to the month being closed, where one is not a partner billing owner then.
transfers_not_owner as (
    select t.transfer_id, t.source_row
    from transfers t
    cross join (select 'from' as side union all select 'to') s
    where t.transferred_on <= last_day({{ close_month() }})
      and not exists (
          select 1 from {{ ref('int_billing_owners_by_month') }} o
          where o.service_month = date_trunc('month', t.transferred_on) and o.billing_account_type = 'partner'
            and o.billing_account_id = case s.side when 'from' then t.from_partner_id else t.to_partner_id end)
    group by t.transfer_id, t.source_row
),

transfer_problems as (
    select 'billing/credit_transfers.csv' as file, t.source_row, t.transfer_id as id, case
        when t.from_currency is null then 'unknown partner ' || coalesce(t.from_partner_id, '')
        when t.to_currency is null then 'unknown partner ' || coalesce(t.to_partner_id, '')
        when t.from_partner_id = t.to_partner_id then 'a transfer from a partner to itself'
        when t.from_root <> t.to_root
            then t.from_partner_id || ' and ' || t.to_partner_id || ' are not in one partner hierarchy'
        when t.minor_unit_exponent is null then 'unknown currency ' || coalesce(t.currency, '')
        when t.currency <> t.from_currency or t.currency <> t.to_currency
            then 'currency ' || upper(t.currency) || ' is not the currency of both partners'
        when t.amount_value is null or t.amount_value <= 0 then 'amount must be a plain decimal above 0'
        when not {{ exact_in_minor_digits('t.amount', 't.minor_unit_exponent') }}
            then 'amount ' || t.amount || ' is not exact in ' || upper(t.currency) || '''s ' || t.minor_unit_exponent
                 || ' minor digits'
        when t.transferred_on is null then 'transferred_on ' || coalesce(t.transferred_on_text, '') || ' is not a date'
        when n.transfer_id is not null
            then t.from_partner_id || ' and ' || t.to_partner_id || ' must both be partner billing owners in '
                 || {{ period_key('t.transferred_on') }}
    end as problem
    from transfers t
    left join transfers_not_owner n on n.transfer_id = t.transfer_id and n.source_row = t.source_row
),

top_ups as (
    select r.*, a.billing_account_id is not null as account_known, a.currency as account_currency,
           k.package is not null as package_known, k.currency as package_currency, k.minor_unit_exponent
    from {{ ref('stg_landing__credit_top_ups') }} r
    left join accounts a using (billing_account_type, billing_account_id)
    left join {{ ref('int_credit_packages') }} k using (package)
),

top_up_problems as (
    select 'billing/credit_top_ups.csv' as file, r.source_row, r.rule_id as id, case
        when r.billing_account_type is null or r.billing_account_type not in ('partner', 'tenant')
            then 'billing_account_type must be partner or tenant'
        when not r.account_known then 'unknown ' || r.billing_account_type || ' ' || coalesce(r.billing_account_id, '')
        when not r.package_known then 'unknown package ' || coalesce(r.package, '')
        when r.package_currency <> r.account_currency
            then 'package ' || r.package || ' is in ' || upper(r.package_currency) || ', not the account''s currency '
                 || upper(r.account_currency)
        when r.quantity is null or r.quantity < 1 then 'quantity must be a whole number >= 1'
        when r.threshold_value is null then 'threshold must be a plain decimal >= 0'
        when not {{ exact_in_minor_digits('r.threshold', 'r.minor_unit_exponent') }}
            then 'threshold ' || r.threshold || ' is not exact in ' || upper(r.package_currency) || '''s '
                 || r.minor_unit_exponent || ' minor digits'
        when not exists (
                select 1 from {{ ref('int_billing_owners_by_month') }} o
                where o.service_month = {{ close_month() }}
                  and o.billing_account_type = r.billing_account_type and o.billing_account_id = r.billing_account_id)
            then r.billing_account_id || ' is not a ' || r.billing_account_type || ' billing owner in '
                 || {{ period_key(close_month()) }}
    end as problem
    from top_ups r
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
    union all
    select 'billing/credit_purchases.csv', b.source_row, b.purchase_id, 'purchase_id repeats row ' || a.source_row
    from purchases a join purchases b on a.purchase_id = b.purchase_id and a.source_row < b.source_row
    union all
    select 'billing/credit_transfers.csv', b.source_row, b.transfer_id, 'transfer_id repeats row ' || a.source_row
    from transfers a join transfers b on a.transfer_id = b.transfer_id and a.source_row < b.source_row
    union all
    select 'billing/credit_top_ups.csv', b.source_row, b.rule_id, 'rule_id repeats row ' || a.source_row
    from top_ups a join top_ups b on a.rule_id = b.rule_id and a.source_row < b.source_row
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
select * from package_problems where problem is not null
union all
select * from purchase_problems where problem is not null
union all
select * from transfer_problems where problem is not null
union all
select * from top_up_problems where problem is not null
union all
select * from repeated_ids
union all
select * from overlapping
order by file, source_row
