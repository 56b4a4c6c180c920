-- Suppliers, one row per supplier_id, with tier by lead time and region by country, plus the
-- unknown member.
with suppliers as (
    select * from {{ ref('stg_suppliers') }}
),

suppliers_tiered as (
    select
        {{ surrogate_key(['supplier_id']) }} as supplier_key,
        supplier_id,
        supplier_code,
        supplier_name,
        country_code,
        case
            when country_code in ('AU', 'NZ') then 'Oceania'
            when country_code in ('US', 'CA', 'MX') then 'North America'
            when country_code in ('GB', 'DE', 'FR', 'IT', 'ES', 'NL', 'IE') then 'Europe'
            when country_code in ('CN', 'JP', 'KR', 'IN', 'VN', 'TH', 'ID', 'MY', 'SG') then 'Asia'
            else 'Other'
        end as region,
        lead_time_days,
        case when lead_time_days <= 7 then 'Tier 1' when lead_time_days <= 21 then 'Tier 2' else 'Tier 3' end as tier,
        is_preferred,
        false as is_unknown_member
    from suppliers
),

unknown_member as (
    select {{ unknown_key() }}, null, null, 'Unknown', null, 'Unknown', null, 'Unknown', false, true
),

final as (
    select * from suppliers_tiered
    union all
    select * from unknown_member
)

select * from final
