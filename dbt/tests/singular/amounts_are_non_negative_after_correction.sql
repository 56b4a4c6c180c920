-- Business rule: once flagged anomalies (negative quantities) are set aside, every sales
-- amount in Gold is non-negative.
select order_number, line_number, net_amount, tax_amount
from {{ ref('fct_sales') }}
where not is_negative_qty and (net_amount < 0 or tax_amount < 0 or line_total < 0)
