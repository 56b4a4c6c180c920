{{ config(materialized='view') }}
-- Current products with their price history count.
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
from {{ ref('dim_product_scd') }}
where not is_unknown_member
qualify is_current
