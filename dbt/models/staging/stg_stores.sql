with bronze_stores as (
    select * from {{ source('bronze', 'stores') }}
),

latest as (
    {{ latest_rows('bronze_stores', ['store_id']) }}
),

final as (
    select
        store_id,
        {{ clean_text('store_code') }} as store_code,
        {{ clean_text('name') }} as store_name,
        lower({{ clean_text('channel') }}) as channel,
        {{ clean_text('region') }} as region,
        {{ clean_text('state') }} as state,
        latitude,
        longitude,
        open_dt,
        close_dt,
        not (latitude between -90 and 90 and longitude between -180 and 180) as has_impossible_coordinates,
        -- The later store (higher store_id) reusing an earlier store's code is the duplicate.
        row_number() over (partition by {{ clean_text('store_code') }} order by store_id) > 1 as has_duplicate_store_code,
        ingestion_ts
    from latest
)

select * from final
