with bronze_suppliers as (
    select * from {{ source('bronze', 'suppliers') }}
),

latest as (
    {{ latest_rows('bronze_suppliers', ['supplier_id']) }}
),

final as (
    select
        supplier_id,
        {{ clean_text('supplier_code') }} as supplier_code,
        {{ clean_text('name') }} as supplier_name,
        upper({{ clean_text('country_code') }}) as country_code,
        lead_time_days,
        coalesce(preferred, false) as is_preferred,
        ingestion_ts
    from latest
)

select * from final
