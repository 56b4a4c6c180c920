{% snapshot products_snapshot %}
{#- SCD2 history of products: a new version whenever price, name, category or the
    discontinued state changes (timestamp strategy on effective_from: the business date a change takes effect). -#}
{{
    config(
        unique_key='product_id',
        strategy='timestamp',
        updated_at='effective_from',
        hard_deletes='ignore'
    )
}}
select {{ star_except(['ingestion_ts']) }} from {{ ref('stg_products') }}
{% endsnapshot %}
