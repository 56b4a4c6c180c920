-- One rate per (date, currency) to AUD; the latest load wins.
with latest as (
    {{ latest_rows(source('bronze', 'exchange_rates'), ['"date"', 'currency']) }}
)

select
    "date" as rate_date,
    upper(trim(currency)) as currency,
    rate_to_aud,
    ingestion_ts
from latest
