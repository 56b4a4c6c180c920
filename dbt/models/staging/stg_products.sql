-- One row per product_id: the newest business version wins (the increment covering the latest
-- day; a late file holding an older version does not overwrite it), then the latest load.
with bronze_products as (
    select * from {{ source('bronze', 'products') }}
),

source_rows as (
    select *, {{ effective_from('src_filename') }} as effective_from
    from bronze_products
),

latest as (
    {{ latest_rows('source_rows', ['product_id'], newest_first='effective_from') }}
),

final as (
    select
        product_id,
        {{ clean_text('sku') }} as sku,
        {{ clean_text('name') }} as product_name,
        {{ clean_text('category') }} as category,
        {{ clean_text('subcategory') }} as subcategory,
        current_price,
        upper({{ clean_text('currency') }}) as currency,
        coalesce(is_discontinued, false) as is_discontinued,
        introduced_dt,
        discontinued_dt,
        (current_price is null or current_price <= 0) as is_invalid_price,
        (coalesce(is_discontinued, false) and discontinued_dt is null) as is_discontinued_without_date,
        effective_from,
        ingestion_ts
    from latest
)

select * from final
