{#- Repeated logic of the medallion project. -#}

{#- The latest version of each key in a Bronze table: a later load of the same key wins (the
    source file name breaks ties within one load). -#}
{% macro latest_by(key_columns) -%}
    row_number() over (partition by {{ key_columns | join(', ') }} order by ingestion_ts desc, src_filename desc) = 1
{%- endmacro %}

{#- Incremental watermark: only Bronze rows loaded after the newest row already in the model, so
    late-arriving files (whatever their business date) are picked up exactly once. -#}
{% macro after_watermark() -%}
    {%- if is_incremental() -%}
    where ingestion_ts > (select coalesce(max(ingestion_ts), '1970-01-01 00:00:00+00'::timestamptz) from {{ this }})
    {%- endif -%}
{%- endmacro %}

{#- A trimmed string, empty as null. -#}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- Email well-formedness: one @, a dotted domain, no spaces. -#}
{% macro is_valid_email(column) -%}
    coalesce(regexp_full_match({{ column }}, '[^@\s]+@[^@\s]+\.[^@\s]+'), false)
{%- endmacro %}

{#- A deterministic surrogate key from business key columns (md5 of the joined values). -#}
{% macro surrogate_key(columns) -%}
    md5(concat_ws('|', {% for c in columns %}coalesce(cast({{ c }} as varchar), '∅'){% if not loop.last %}, {% endif %}{% endfor %}))
{%- endmacro %}

{#- The surrogate key of a dimension's unknown member. -#}
{% macro unknown_key() -%}
    md5('unknown')
{%- endmacro %}

{#- When a dimension record takes effect in business time: the first day an increment file
    covers (`<table>_increments/<from>_<to>.csv`), or the beginning of time for the base
    snapshot. Snapshots use it as updated_at, so SCD2 validity follows business dates, not the
    wall-clock time dbt happened to run. -#}
{% macro effective_from(filename_column) -%}
    coalesce(
        cast(nullif(regexp_extract({{ filename_column }}, '_increments/(\d{4}-\d{2}-\d{2})_', 1), '') as timestamp),
        '1900-01-01 00:00:00'::timestamp
    )
{%- endmacro %}
