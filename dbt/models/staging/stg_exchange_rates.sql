-- One rate per (date, currency) to AUD; the latest load wins.
select
    "date" as rate_date,
    upper(trim(currency)) as currency,
    rate_to_aud,
    ingestion_ts,
    src_filename
from {{ source('bronze', 'exchange_rates') }}
qualify {{ latest_by(['"date"', 'currency']) }}
