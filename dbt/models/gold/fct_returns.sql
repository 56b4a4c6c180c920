-- Live returns (cancelled ones are tombstones in Silver and not counted here). A return points
-- at the product version sold: the version of its order's local date, as the sales line does
-- (the return's own UTC date when the order is unknown).
select
    r.return_id,
    r.order_id as order_number,
    coalesce({{ date_key(utc_date('r.return_ts')) }}, -1) as date_key,
    coalesce(p.product_key, {{ unknown_key() }}) as product_key,
    coalesce(st.store_key, {{ unknown_key() }}) as store_key,
    r.return_ts,
    r.qty as quantity,
    r.reason,
    r.return_reason_code
from {{ ref('stg_returns') }} r
left join {{ ref('stg_orders_header') }} o on o.order_id = r.order_id
left join {{ ref('dim_store') }} st on st.store_id = o.store_id and not st.is_unknown_member
left join {{ ref('dim_product_scd') }} p
    on p.product_id = r.product_id
    and not p.is_unknown_member
    and cast(coalesce(o.order_dt_local, {{ utc_date('r.return_ts') }}) as timestamp) >= p.valid_from
    and cast(coalesce(o.order_dt_local, {{ utc_date('r.return_ts') }}) as timestamp) < p.valid_to
where not r.is_deleted
