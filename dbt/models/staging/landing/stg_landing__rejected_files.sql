{{ config(tags=['daily']) }}

select landing_date, source_file, reason
from {{ source('landing', 'rejected_files') }}
