-- Every sales line has its AUD amounts unless it is flagged as having no usable rate, and a
-- flagged line has none: a NULL amount never slips silently past `sum()` (issue 11, point 2).
select order_number, line_number, currency, rate_to_aud, has_missing_rate
from {{ ref('fct_sales') }}
where has_missing_rate <> (
    line_total_aud is null or net_amount_aud is null or discount_amount_aud is null or tax_amount_aud is null
)
