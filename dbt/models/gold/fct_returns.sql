-- Live returns (cancelled ones are tombstones in Silver and not counted here).
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
left join {{ ref('dim_product_scd') }} p on p.product_id = r.product_id and p.is_current and not p.is_unknown_member
where not r.is_deleted
