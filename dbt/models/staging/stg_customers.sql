-- One row per customer_id: the newest business version wins (the increment covering the latest
-- day; a late file holding an older version does not overwrite it), then the latest load.
-- Duplicate natural keys (a second record of the same person) are kept and flagged; the
-- newest record of a natural key is its primary record.
with bronze_customers as (
    select * from {{ source('bronze', 'customers') }}
),

source_rows as (
    select *, {{ effective_from('src_filename') }} as effective_from
    from bronze_customers
),

latest as (
    {{ latest_rows('source_rows', ['customer_id'], newest_first='effective_from') }}
),

cleaned as (
    select
        customer_id,
        {{ clean_text('natural_key') }} as natural_key,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        lower({{ clean_text('email') }}) as email,
        {{ clean_text('phone') }} as phone,
        {{ clean_text('address_line1') }} as address_line1,
        {{ clean_text('address_line2') }} as address_line2,
        {{ clean_text('city') }} as city,
        {{ clean_text('state_region') }} as state_region,
        {{ clean_text('postcode') }} as postcode,
        upper({{ clean_text('country_code') }}) as country_code,
        latitude,
        longitude,
        birth_date,
        join_ts,
        coalesce(is_vip, false) as is_vip,
        -- No recorded consent is no consent.
        coalesce(gdpr_consent, false) as gdpr_consent,
        effective_from,
        ingestion_ts
    from latest
),

final as (
    select
        *,
        {{ full_years('birth_date', utc_date('join_ts')) }} as age_at_join_years,
        {{ is_valid_email('email') }} as is_valid_email,
        phone is null as is_missing_phone,
        (address_line1 is null or city is null or postcode is null) as is_missing_address,
        count(*) over (partition by natural_key) > 1 as has_duplicate_natural_key,
        row_number() over (partition by natural_key order by join_ts desc, customer_id desc) = 1 as is_primary_record
    from cleaned
)

select * from final
