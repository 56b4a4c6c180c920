{{ config(materialized='view') }}
-- Current products with their price history count.
with product_versions as (
    select * from {{ ref('dim_product_scd') }} where not is_unknown_member
),

final as (
    select
        product_id as {{ adapter.quote('Product ID') }},
        sku as {{ adapter.quote('SKU') }},
        product_name as {{ adapter.quote('Product') }},
        category as {{ adapter.quote('Category') }},
        subcategory as {{ adapter.quote('Subcategory') }},
        price as {{ adapter.quote('Price') }},
        currency as {{ adapter.quote('Currency') }},
        is_discontinued as {{ adapter.quote('Discontinued') }},
        count(*) over (partition by product_id) - 1 as {{ adapter.quote('Price Changes') }}
    from product_versions
    qualify is_current
)

select * from final
