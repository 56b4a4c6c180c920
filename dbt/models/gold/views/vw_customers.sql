{{ config(materialized='view') }}
-- Customers for business users (personal data masked as in dim_customer).
with customers as (
    select * from {{ ref('dim_customer') }} where not is_unknown_member
),

final as (
    select
        customer_id as {{ adapter.quote('Customer ID') }},
        first_name || ' ' || last_name as {{ adapter.quote('Customer') }},
        email as {{ adapter.quote('Email') }},
        city as {{ adapter.quote('City') }},
        state_region as {{ adapter.quote('State') }},
        country_code as {{ adapter.quote('Country') }},
        segment as {{ adapter.quote('Segment') }},
        is_vip as {{ adapter.quote('VIP') }},
        age_years as {{ adapter.quote('Age') }},
        join_dt as {{ adapter.quote('Joined') }},
        first_order_dt as {{ adapter.quote('First Order') }}
    from customers
)

select * from final
