-- Customers, one row per customer_id, plus the unknown member. GDPR: without consent, the
-- email is replaced by its keyed hash (none when missing), the phone is masked and the address
-- is generalised to the city; names are reduced to initials.
with customers as (
    select * from {{ ref('stg_customers') }}
),

order_headers as (
    select * from {{ ref('stg_orders_header') }}
),

first_orders as (
    select customer_id, min(order_dt_local) as first_order_dt, count(*) as orders
    from order_headers
    group by customer_id
),

customers_masked as (
    select
        {{ surrogate_key(['customers.customer_id']) }} as customer_key,
        customers.customer_id,
        customers.natural_key,
        case when customers.gdpr_consent then customers.first_name else left(customers.first_name, 1) || '.' end as first_name,
        case when customers.gdpr_consent then customers.last_name else left(customers.last_name, 1) || '.' end as last_name,
        case when customers.gdpr_consent then customers.email when customers.email is not null then {{ keyed_hash('customers.email') }} end as email,
        case
            when customers.gdpr_consent then customers.phone
            when customers.phone is null then null
            else '***-****' || right({{ replace_all_matches('customers.phone', '[^0-9]', '') }}, 2)
        end as phone,
        case when customers.gdpr_consent then customers.address_line1 end as address_line1,
        case when customers.gdpr_consent then customers.address_line2 end as address_line2,
        case when customers.gdpr_consent then customers.postcode end as postcode,
        customers.city,
        customers.state_region,
        customers.country_code,
        {{ full_years('customers.birth_date', as_of_date()) }} as age_years,
        {{ utc_date('customers.join_ts') }} as join_dt,
        -- Null for a customer who joins after the as-of day (the dimension holds future joiners).
        case
            when {{ utc_date('customers.join_ts') }} <= {{ as_of_date() }}
                then {{ days_between(utc_date('customers.join_ts'), as_of_date()) }}
        end as lifetime_days,
        case
            when customers.is_vip then 'VIP'
            when coalesce(first_orders.orders, 0) >= 5 then 'Loyal'
            when coalesce(first_orders.orders, 0) >= 1 then 'Active'
            else 'Prospect'
        end as segment,
        customers.is_vip,
        customers.gdpr_consent,
        customers.is_valid_email,
        customers.has_duplicate_natural_key,
        customers.is_primary_record,
        first_orders.first_order_dt,
        false as is_unknown_member
    from customers
    left join first_orders using (customer_id)
),

unknown_member as (
    select
        {{ unknown_key() }}, null, null, 'Unknown', 'Unknown', null, null, null, null, null, 'Unknown', null, null,
        null, null, null, 'Unknown', false, false, false, false, false, null, true
),

final as (
    select * from customers_masked
    union all
    select * from unknown_member
)

select * from final
