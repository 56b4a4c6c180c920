{{ config(materialized='view') }}
-- Live returns with the product version sold, for business users.
with returns as (
    select * from {{ ref('fct_returns') }}
),

product_versions as (
    select * from {{ ref('dim_product_scd') }}
),

final as (
    select
        returns.return_id as "Return",
        returns.order_number as "Order Number",
        {{ utc_date('returns.return_ts') }} as "Return Date",
        product_versions.product_name as "Product",
        product_versions.category as "Category",
        returns.quantity as "Quantity",
        returns.reason as "Reason",
        returns.return_reason_code as "Reason Code"
    from returns
    left join product_versions on product_versions.product_key = returns.product_key
)

select * from final
