-- A customer without consent keeps only a keyed hash of their email in Gold: never the email,
-- never its plain md5 or sha256 (reversible with a dictionary of addresses), and no hash at all
-- for a missing email (a hash of '' would make every missing email look like the same one).
with customers as (
    select customer_id, email as source_email, gdpr_consent
    from {{ ref('stg_customers') }}
),

gold as (
    select customer_id, email as gold_email
    from {{ ref('dim_customer') }}
    where not is_unknown_member
)

select customers.customer_id, customers.source_email, gold.gold_email
from customers
inner join gold on gold.customer_id = customers.customer_id
where not customers.gdpr_consent
    and (
        (customers.source_email is null and gold.gold_email is not null)
        or gold.gold_email = customers.source_email
        or gold.gold_email = md5(customers.source_email)
        or gold.gold_email = {{ sha256_hex('customers.source_email') }}
    )
