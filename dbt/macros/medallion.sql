{#- Repeated logic of the medallion project, in SQL both engines read. What differs between
    DuckDB and Spark is in engine.sql, behind `adapter.dispatch`. -#}

{#- The latest version of each key in a Bronze relation. `newest_first` (optional) is a column
    ranked first, newest first: the business version, so a late file holding an older version
    does not overwrite a newer one. Then the later load wins, then the source file name, then
    `src_row_hash`: two different rows of one key in one file are picked the same way on every
    run and engine. A select statement, for a CTE body.
    Duplicates are rare, so only the rows of duplicated keys are ranked; the others pass through
    an anti join. Same rows as ranking the whole relation, at a third of the cost on 6 M rows
    (ranking sorts every row with its payload; this hashes the key columns once). -#}
{% macro latest_rows(relation, key_columns, newest_first=none) -%}
    {%- set same_key -%}
        {% for k in key_columns %}candidate.{{ k }} is not distinct from duplicated_keys.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
    {%- endset -%}
    with duplicated_keys as (
        select {{ key_columns | join(', ') }} from {{ relation }} group by all having count(*) > 1
    )
    select candidate.* from {{ relation }} candidate anti join duplicated_keys on {{ same_key }}
    union all
    (
        select candidate.* from {{ relation }} candidate semi join duplicated_keys on {{ same_key }}
        qualify row_number() over (
            partition by {% for k in key_columns %}candidate.{{ k }}{% if not loop.last %}, {% endif %}{% endfor %}
            order by {% if newest_first %}candidate.{{ newest_first }} desc, {% endif %}candidate.ingestion_ts desc, candidate.src_filename desc, candidate.src_row_hash desc
        ) = 1
    )
{%- endmacro %}

{#- The Bronze rows an incremental model (re)builds, a select statement for a CTE body.
    A full build: every row. An incremental one: every Bronze copy of the keys that changed,
    the keys with a row from a Bronze load (an `ingestion_ts`) the model has not seen. A set of
    loads, not a `>` watermark: a batch replayed or recovered with an old `ingestion_ts` is still
    new to the model. Ranking all copies of a changed key, not only the new ones, keeps an older
    replayed copy from replacing a newer row. A load whose rows were all superseded is read
    again on later runs, and changes nothing (docs/decisions.md #65). `key_columns` none: the
    unseen loads' rows only (events, whose keys are inside the JSON). -#}
{% macro bronze_rows_to_build(relation, key_columns=none) -%}
    {%- if is_incremental() -%}
    with seen_loads as (
        select distinct ingestion_ts from {{ this }}
    )
    {%- if key_columns %},
    changed_keys as (
        select distinct {{ key_columns | join(', ') }} from {{ relation }} anti join seen_loads using (ingestion_ts)
    )
    select bronze_row.* from {{ relation }} bronze_row semi join changed_keys
        on {% for k in key_columns %}bronze_row.{{ k }} is not distinct from changed_keys.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
    {%- else %}
    select * from {{ relation }} anti join seen_loads using (ingestion_ts)
    {%- endif %}
    {%- else -%}
    select * from {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#- A trimmed string, empty as null. -#}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- The surrogate key of a dimension's unknown member (no md5-derived key is negative). -#}
{% macro unknown_key() -%}
    -1
{%- endmacro %}

{#- dim_date's key (yyyymmdd) of a DATE or TIMESTAMP. -#}
{% macro date_key(day) -%}
    cast(year({{ day }}) * 10000 + month({{ day }}) * 100 + day({{ day }}) as integer)
{%- endmacro %}

{#- When a dimension record takes effect in business time: the first day an increment file
    covers (`<table>_increments/<from>_<to>.csv`), or the beginning of time for the base
    snapshot. Snapshots use it as updated_at, so SCD2 validity follows business dates, not the
    wall-clock time dbt happened to run. -#}
{% macro effective_from(filename_column) -%}
    coalesce(
        cast(nullif(regexp_extract({{ filename_column }}, '_increments/([0-9]{4}-[0-9]{2}-[0-9]{2})_', 1), '') as timestamp),
        '1900-01-01 00:00:00'::timestamp
    )
{%- endmacro %}

{#- The day Gold's "as of" figures (ages, lifetimes, open or closed) are computed for: the
    var `as_of_date` (YYYY-MM-DD) if set, else the data's horizon, the last local order date in
    Silver. Never the wall clock, so rebuilding the same Bronze later gives the same Gold. -#}
{% macro as_of_date() -%}
    {%- if var('as_of_date', none) -%}
    date '{{ var("as_of_date") }}'
    {%- else -%}
    (select max(order_dt_local) from {{ ref('stg_orders_header') }})
    {%- endif -%}
{%- endmacro %}

