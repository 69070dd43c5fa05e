{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stg_landing__credit_purchases'}}}) }}
-- A returned row is a credit purchase or transfer already processed at an
-- earlier close whose row in its billing/ file was changed since: reported,
-- never blocking, and it changes nothing (a processed row is decided once).
select 'billing/credit_purchases.csv' as file, p.purchase_id as id, p.source_row, l.close_month
from {{ ref('stg_landing__credit_purchases') }} p
join {{ ref('stg_ledger__credit_purchases') }} l using (purchase_id)
where p.billing_account_type is distinct from l.billing_account_type
   or p.billing_account_id is distinct from l.billing_account_id
   or p.package is distinct from l.package
   or p.quantity_text is distinct from l.quantity
   or p.purchased_on is distinct from l.purchased_on
union all
select 'billing/credit_transfers.csv', t.transfer_id, t.source_row, l.close_month
from {{ ref('stg_landing__credit_transfers') }} t
join {{ ref('stg_ledger__credit_transfers') }} l using (transfer_id)
where t.from_partner_id is distinct from l.from_partner_id
   or t.to_partner_id is distinct from l.to_partner_id
   or t.currency is distinct from l.currency
   or t.amount is distinct from l.amount
   or t.transferred_on is distinct from l.transferred_on
