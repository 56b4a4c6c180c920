-- Customers, one row per customer_id, plus the unknown member. GDPR: without consent, the
-- email is replaced by its keyed hash (none when missing), the phone is masked and the address is generalised to the
-- city; names are reduced to initials.
with customers as (
    select * from {{ ref('stg_customers') }}
),

first_orders as (
    select customer_id, min(order_dt_local) as first_order_dt, count(*) as orders
    from {{ ref('stg_orders_header') }}
    group by customer_id
)

select
    {{ surrogate_key(['c.customer_id']) }} as customer_key,
    c.customer_id,
    c.natural_key,
    case when c.gdpr_consent then c.first_name else left(c.first_name, 1) || '.' end as first_name,
    case when c.gdpr_consent then c.last_name else left(c.last_name, 1) || '.' end as last_name,
    case when c.gdpr_consent then c.email when c.email is not null then {{ keyed_hash('c.email') }} end as email,
    case when c.gdpr_consent then c.phone when c.phone is null then null else '***-****' || right(regexp_replace(c.phone, '[^0-9]', '', 'g'), 2) end as phone,
    case when c.gdpr_consent then c.address_line1 end as address_line1,
    case when c.gdpr_consent then c.address_line2 end as address_line2,
    case when c.gdpr_consent then c.postcode end as postcode,
    c.city,
    c.state_region,
    c.country_code,
    {{ full_years('c.birth_date', as_of_date()) }} as age_years,
    {{ utc_date('c.join_ts') }} as join_dt,
    -- Null for a customer who joins after the as-of day (the dimension holds future joiners).
    case
        when {{ utc_date('c.join_ts') }} <= {{ as_of_date() }}
            then date_diff('day', {{ utc_date('c.join_ts') }}, {{ as_of_date() }})
    end as lifetime_days,
    case
        when c.is_vip then 'VIP'
        when coalesce(f.orders, 0) >= 5 then 'Loyal'
        when coalesce(f.orders, 0) >= 1 then 'Active'
        else 'Prospect'
    end as segment,
    c.is_vip,
    c.gdpr_consent,
    c.is_valid_email,
    c.has_duplicate_natural_key,
    c.is_primary_record,
    f.first_order_dt,
    false as is_unknown_member
from customers c
left join first_orders f using (customer_id)

union all

select
    {{ unknown_key() }}, null, null, 'Unknown', 'Unknown', null, null, null, null, null, 'Unknown', null, null,
    null, null, null, 'Unknown', false, false, false, false, false, null, true
