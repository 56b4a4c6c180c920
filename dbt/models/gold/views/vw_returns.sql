{{ config(materialized='view') }}
select
    r.return_id as "Return",
    r.order_number as "Order Number",
    {{ utc_date('r.return_ts') }} as "Return Date",
    p.product_name as "Product",
    p.category as "Category",
    r.quantity as "Quantity",
    r.reason as "Reason",
    r.return_reason_code as "Reason Code"
from {{ ref('fct_returns') }} r
left join {{ ref('dim_product_scd') }} p on p.product_key = r.product_key
