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
        returns.return_id as {{ adapter.quote('Return') }},
        returns.order_number as {{ adapter.quote('Order Number') }},
        {{ utc_date('returns.return_ts') }} as {{ adapter.quote('Return Date') }},
        product_versions.product_name as {{ adapter.quote('Product') }},
        product_versions.category as {{ adapter.quote('Category') }},
        returns.quantity as {{ adapter.quote('Quantity') }},
        returns.reason as {{ adapter.quote('Reason') }},
        returns.return_reason_code as {{ adapter.quote('Reason Code') }}
    from returns
    left join product_versions on product_versions.product_key = returns.product_key
)

select * from final
