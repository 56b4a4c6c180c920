-- Live returns (cancelled ones are tombstones in Silver and not counted here). A return points
-- at the product version sold: the version of its order's local date, as the sales line does
-- (the return's own UTC date when the order is unknown).
with returns as (
    select * from {{ ref('stg_returns') }} where not is_deleted
),

order_headers as (
    select * from {{ ref('stg_orders_header') }}
),

stores as (
    select * from {{ ref('dim_store') }} where not is_unknown_member
),

product_versions as (
    select * from {{ ref('dim_product_scd') }} where not is_unknown_member
),

returns_with_sale_day as (
    select
        returns.*,
        order_headers.store_id,
        cast(coalesce(order_headers.order_dt_local, {{ utc_date('returns.return_ts') }}) as timestamp) as sale_day
    from returns
    left join order_headers on order_headers.order_id = returns.order_id
),

final as (
    select
        returns_with_sale_day.return_id,
        returns_with_sale_day.order_id as order_number,
        coalesce({{ date_key(utc_date('returns_with_sale_day.return_ts')) }}, -1) as date_key,
        coalesce(product_versions.product_key, {{ unknown_key() }}) as product_key,
        coalesce(stores.store_key, {{ unknown_key() }}) as store_key,
        returns_with_sale_day.return_ts,
        returns_with_sale_day.qty as quantity,
        returns_with_sale_day.reason,
        returns_with_sale_day.return_reason_code
    from returns_with_sale_day
    left join stores on stores.store_id = returns_with_sale_day.store_id
    left join product_versions
        on product_versions.product_id = returns_with_sale_day.product_id
        and returns_with_sale_day.sale_day >= product_versions.valid_from
        and returns_with_sale_day.sale_day < product_versions.valid_to
)

select * from final
