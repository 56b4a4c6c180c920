{{ config(materialized='view') }}
-- Customers for business users (personal data masked as in dim_customer).
with customers as (
    select * from {{ ref('dim_customer') }} where not is_unknown_member
),

final as (
    select
        customer_id as "Customer ID",
        first_name || ' ' || last_name as "Customer",
        email as "Email",
        city as "City",
        state_region as "State",
        country_code as "Country",
        segment as "Segment",
        is_vip as "VIP",
        age_years as "Age",
        join_dt as "Joined",
        first_order_dt as "First Order"
    from customers
)

select * from final
