-- Business rule: a shipment leaves after its order and arrives after it leaves; a return
-- follows its order. Rows that break the order of time.
select 'shipment before order' as problem, s.shipment_id as id
from {{ ref('stg_shipments') }} s join {{ ref('stg_orders_header') }} o using (order_id)
where s.shipped_at < o.order_ts
union all
select 'delivered before shipped', shipment_id
from {{ ref('stg_shipments') }}
where delivered_at < shipped_at
union all
select 'return before order', r.return_id
from {{ ref('stg_returns') }} r join {{ ref('stg_orders_header') }} o using (order_id)
where r.return_ts < o.order_ts
