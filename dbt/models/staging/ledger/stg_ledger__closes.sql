select close_month, closed_at, run_id, invoice_lines, statement_rows
from {{ source('ledger', 'closes') }}
