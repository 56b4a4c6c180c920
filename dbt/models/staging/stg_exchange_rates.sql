-- One rate per (date, currency) to AUD; the latest load wins. Currency codes are normalised
-- (trimmed, upper case) before the dedup, so ' usd' and 'USD' of one day are one rate, not two
-- (two would double that day's sales lines in the currency join).
with bronze_rates as (
    select * from {{ source('bronze', 'exchange_rates') }}
),

normalised as (
    select
        {{ adapter.quote('date') }} as rate_date,
        upper(trim(currency)) as currency,
        rate_to_aud,
        ingestion_ts,
        src_filename,
        src_row_hash
    from bronze_rates
),

latest as (
    {{ latest_rows('normalised', ['rate_date', 'currency']) }}
),

final as (
    select
        rate_date,
        currency,
        rate_to_aud,
        ingestion_ts
    from latest
)

select * from final
