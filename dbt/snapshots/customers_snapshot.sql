{% snapshot customers_snapshot %}
{#- SCD2 history of customers: a new version whenever an increment changes a customer (address, contact),
    valid from the business date of the increment. -#}
{{
    config(
        unique_key='customer_id',
        strategy='timestamp',
        updated_at='effective_from',
        hard_deletes='ignore'
    )
}}
select {{ star_except(['ingestion_ts']) }} from {{ ref('stg_customers') }}
{% endsnapshot %}
