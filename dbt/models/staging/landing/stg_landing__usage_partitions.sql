{{ config(tags=['daily']) }}

select
    landing_date,
    files_read,
    files_rejected,
    rows_read,
    rows_accepted,
    rows_rejected,
    ingested_at
from {{ source('landing', 'usage_partitions') }}
