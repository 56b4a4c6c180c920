{{ config(materialized='view') }}
-- Sales for business users: one row per order line, friendly names, no technical columns.
with sales as (
    select * from {{ ref('fct_sales') }}
),

dates as (
    select * from {{ ref('dim_date') }}
),

customers as (
    select * from {{ ref('dim_customer') }}
),

stores as (
    select * from {{ ref('dim_store') }}
),

product_versions as (
    select * from {{ ref('dim_product_scd') }}
),

final as (
    select
        sales.order_number as {{ adapter.quote('Order Number') }},
        sales.line_number as {{ adapter.quote('Line') }},
        dates.date_day as {{ adapter.quote('Order Date') }},
        dates.fiscal_year as {{ adapter.quote('Fiscal Year') }},
        customers.first_name || ' ' || customers.last_name as {{ adapter.quote('Customer') }},
        customers.segment as {{ adapter.quote('Customer Segment') }},
        stores.store_name as {{ adapter.quote('Store') }},
        stores.region as {{ adapter.quote('Region') }},
        sales.channel as {{ adapter.quote('Channel') }},
        product_versions.product_name as {{ adapter.quote('Product') }},
        product_versions.category as {{ adapter.quote('Category') }},
        sales.quantity as {{ adapter.quote('Quantity') }},
        sales.unit_price as {{ adapter.quote('Unit Price') }},
        sales.discount_amount as {{ adapter.quote('Discount') }},
        sales.tax_amount as {{ adapter.quote('Tax') }},
        sales.net_amount as {{ adapter.quote('Net Amount') }},
        sales.currency as {{ adapter.quote('Currency') }},
        sales.net_amount_aud as {{ adapter.quote('Net Amount (AUD)') }}
    from sales
    left join dates on dates.date_key = sales.date_key
    left join customers on customers.customer_key = sales.customer_key
    left join stores on stores.store_key = sales.store_key
    left join product_versions on product_versions.product_key = sales.product_key
)

select * from final
