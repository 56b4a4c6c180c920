{{ config(materialized='view') }}
-- Current products with their price history count.
with product_versions as (
    select * from {{ ref('dim_product_scd') }} where not is_unknown_member
),

final as (
    select
        product_id as "Product ID",
        sku as "SKU",
        product_name as "Product",
        category as "Category",
        subcategory as "Subcategory",
        price as "Price",
        currency as "Currency",
        is_discontinued as "Discontinued",
        count(*) over (partition by product_id) - 1 as "Price Changes"
    from product_versions
    qualify is_current
)

select * from final
