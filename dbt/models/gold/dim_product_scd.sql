-- Products as slowly changing dimension (type 2) from products_snapshot: one row per
-- product version, with validity and price-change indicators, plus the unknown member.
with snapshot_versions as (
    select * from {{ ref('products_snapshot') }}
),

versions as (
    select
        *,
        lag(current_price) over (partition by product_id order by dbt_valid_from) as previous_price
    from snapshot_versions
),

product_versions as (
    select
        {{ surrogate_key(['product_id', 'dbt_valid_from']) }} as product_key,
        product_id,
        sku,
        product_name,
        category,
        subcategory,
        current_price as price,
        currency,
        previous_price,
        previous_price is not null and previous_price is distinct from current_price as is_price_change,
        case when previous_price > 0 then round(cast(current_price - previous_price as double) / previous_price, 4) end as price_change_pct,
        is_discontinued,
        is_invalid_price,
        dbt_valid_from as valid_from,
        coalesce(dbt_valid_to, '9999-12-31 00:00:00'::timestamp) as valid_to,
        dbt_valid_to is null as is_current,
        false as is_unknown_member
    from versions
),

unknown_member as (
    select
        {{ unknown_key() }}, null, null, 'Unknown', 'Unknown', 'Unknown', null, null, null, false, null, false, false,
        '1900-01-01 00:00:00'::timestamp, '9999-12-31 00:00:00'::timestamp, true, true
),

final as (
    select * from product_versions
    union all
    select * from unknown_member
)

select * from final
