{#- Every construct whose SQL differs between the engines the project runs on (issue 16):
    DuckDB (dbt-duckdb and medallion's embedded runner) and Apache Spark (dbt-spark, also the
    Databricks adapter family). Each is an `adapter.dispatch` macro with a `duckdb__` and a
    `spark__` version giving the same result; the models call only the dispatching name.
    Spark runs with the session settings of the `spark` target in profiles.yml (UTC session
    time zone, ANSI mode, double-quoted identifiers), which these versions rely on. -#}

{#- Integer division of non-negative integers. -#}
{% macro int_div(numerator, denominator) -%}
    {{ adapter.dispatch('int_div', 'medallion')(numerator, denominator) }}
{%- endmacro %}
{% macro duckdb__int_div(numerator, denominator) %}(({{ numerator }}) // ({{ denominator }})){% endmacro %}
{% macro spark__int_div(numerator, denominator) %}(({{ numerator }}) div ({{ denominator }})){% endmacro %}

{#- Microseconds since 1970-01-01 UTC of a time-zone-aware instant. -#}
{% macro epoch_us(ts) -%}
    {{ adapter.dispatch('epoch_us', 'medallion')(ts) }}
{%- endmacro %}
{% macro duckdb__epoch_us(ts) %}epoch_us({{ ts }}){% endmacro %}
{% macro spark__epoch_us(ts) %}unix_micros({{ ts }}){% endmacro %}

{#- The instant `us` microseconds after 1970-01-01 UTC: with a time zone (`timestamptz`), or as
    a plain UTC timestamp (`timestamp`, for calendar parts). Spark has one instant type. -#}
{% macro timestamptz_from_epoch_us(us) -%}
    {{ adapter.dispatch('timestamptz_from_epoch_us', 'medallion')(us) }}
{%- endmacro %}
{% macro duckdb__timestamptz_from_epoch_us(us) %}make_timestamptz({{ us }}){% endmacro %}
{% macro spark__timestamptz_from_epoch_us(us) %}timestamp_micros({{ us }}){% endmacro %}

{% macro timestamp_from_epoch_us(us) -%}
    {{ adapter.dispatch('timestamp_from_epoch_us', 'medallion')(us) }}
{%- endmacro %}
{% macro duckdb__timestamp_from_epoch_us(us) %}make_timestamp({{ us }}){% endmacro %}
{% macro spark__timestamp_from_epoch_us(us) %}timestamp_micros({{ us }}){% endmacro %}

{#- The type name of a time-zone-aware instant (DuckDB TIMESTAMPTZ, Spark's TIMESTAMP). -#}
{% macro timestamptz_type() -%}
    {{ adapter.dispatch('timestamptz_type', 'medallion')() }}
{%- endmacro %}
{% macro duckdb__timestamptz_type() %}timestamptz{% endmacro %}
{% macro spark__timestamptz_type() %}timestamp{% endmacro %}

{#- UTC calendar date of an instant. On DuckDB through integer microseconds: exact for UTC, and
    an order of magnitude cheaper than its time-zone-aware (ICU) casts, which dominated the
    sensor and shipment models. Spark's cast uses the session time zone, UTC. -#}
{% macro utc_date(ts) -%}
    {{ adapter.dispatch('utc_date', 'medallion')(ts) }}
{%- endmacro %}
{% macro duckdb__utc_date(ts) %}cast(make_timestamp(epoch_us({{ ts }})) as date){% endmacro %}
{% macro spark__utc_date(ts) %}cast({{ ts }} as date){% endmacro %}

{#- Seconds (a DOUBLE) from one instant to another. -#}
{% macro seconds_between(from_ts, to_ts) -%}
    {{ adapter.dispatch('seconds_between', 'medallion')(from_ts, to_ts) }}
{%- endmacro %}
{% macro duckdb__seconds_between(from_ts, to_ts) %}((epoch_us({{ to_ts }}) - epoch_us({{ from_ts }})) / 1000000.0){% endmacro %}
{#- Spark divides by a decimal literal exactly (a DECIMAL): the double literal keeps a DOUBLE. -#}
{% macro spark__seconds_between(from_ts, to_ts) %}((unix_micros({{ to_ts }}) - unix_micros({{ from_ts }})) / 1000000d){% endmacro %}

{#- Whole days from one date to another (a BIGINT, as DuckDB counts). -#}
{% macro days_between(from_date, to_date) -%}
    {{ adapter.dispatch('days_between', 'medallion')(from_date, to_date) }}
{%- endmacro %}
{% macro duckdb__days_between(from_date, to_date) %}date_diff('day', {{ from_date }}, {{ to_date }}){% endmacro %}
{% macro spark__days_between(from_date, to_date) %}cast(datediff({{ to_date }}, {{ from_date }}) as bigint){% endmacro %}

{#- Completed years (a BIGINT) from one date to another (an age): the year difference, less one while the
    later date's month and day come before the earlier one's. Counting year boundaries instead
    (DuckDB's `date_diff('year', …)`) is one too many for most of the year. -#}
{% macro full_years(from_date, to_date) -%}
    {{ adapter.dispatch('full_years', 'medallion')(from_date, to_date) }}
{%- endmacro %}
{% macro duckdb__full_years(from_date, to_date) -%}
    (date_diff('year', {{ from_date }}, {{ to_date }})
        - case when strftime({{ to_date }}, '%m%d') < strftime({{ from_date }}, '%m%d') then 1 else 0 end)
{%- endmacro %}
{% macro spark__full_years(from_date, to_date) -%}
    cast(year({{ to_date }}) - year({{ from_date }})
        - case when date_format({{ to_date }}, 'MMdd') < date_format({{ from_date }}, 'MMdd') then 1 else 0 end as bigint)
{%- endmacro %}

{#- ISO calendar parts: weekday (1 = Monday … 7 = Sunday) and week-numbering year. -#}
{% macro iso_weekday(day) -%}
    {{ adapter.dispatch('iso_weekday', 'medallion')(day) }}
{%- endmacro %}
{% macro duckdb__iso_weekday(day) %}isodow({{ day }}){% endmacro %}
{% macro spark__iso_weekday(day) %}extract(dayofweek_iso from {{ day }}){% endmacro %}

{% macro iso_year(day) -%}
    {{ adapter.dispatch('iso_year', 'medallion')(day) }}
{%- endmacro %}
{% macro duckdb__iso_year(day) %}isoyear({{ day }}){% endmacro %}
{% macro spark__iso_year(day) %}extract(yearofweek from {{ day }}){% endmacro %}

{#- English day and month names in full ('Monday', 'January'); Spark's dayname and monthname
    abbreviate. -#}
{% macro day_name(day) -%}
    {{ adapter.dispatch('day_name', 'medallion')(day) }}
{%- endmacro %}
{% macro duckdb__day_name(day) %}dayname({{ day }}){% endmacro %}
{% macro spark__day_name(day) %}date_format({{ day }}, 'EEEE'){% endmacro %}

{% macro month_name(day) -%}
    {{ adapter.dispatch('month_name', 'medallion')(day) }}
{%- endmacro %}
{% macro duckdb__month_name(day) %}monthname({{ day }}){% endmacro %}
{% macro spark__month_name(day) %}date_format({{ day }}, 'MMMM'){% endmacro %}

{#- The distinct values of a string expression, sorted and joined with `separator`. -#}
{% macro distinct_sorted_list(expr, separator) -%}
    {{ adapter.dispatch('distinct_sorted_list', 'medallion')(expr, separator) }}
{%- endmacro %}
{% macro duckdb__distinct_sorted_list(expr, separator) %}string_agg(distinct {{ expr }}, '{{ separator }}' order by {{ expr }}){% endmacro %}
{% macro spark__distinct_sorted_list(expr, separator) %}string_agg(distinct {{ expr }}, '{{ separator }}') within group (order by {{ expr }}){% endmacro %}

{#- Every match of `pattern` in `text` replaced (Spark's regexp_replace always replaces all). -#}
{% macro replace_all_matches(text, pattern, replacement) -%}
    {{ adapter.dispatch('replace_all_matches', 'medallion')(text, pattern, replacement) }}
{%- endmacro %}
{% macro duckdb__replace_all_matches(text, pattern, replacement) %}regexp_replace({{ text }}, '{{ pattern }}', '{{ replacement }}', 'g'){% endmacro %}
{% macro spark__replace_all_matches(text, pattern, replacement) %}regexp_replace({{ text }}, '{{ pattern }}', '{{ replacement }}'){% endmacro %}

{#- Email well-formedness: one @, a dotted domain, no spaces. Spark's string literals treat a
    backslash as an escape, so its pattern doubles them. -#}
{% macro is_valid_email(column) -%}
    {{ adapter.dispatch('is_valid_email', 'medallion')(column) }}
{%- endmacro %}
{% macro duckdb__is_valid_email(column) -%}
    coalesce(regexp_full_match({{ column }}, '[^@\s]+@[^@\s]+\.[^@\s]+'), false)
{%- endmacro %}
{% macro spark__is_valid_email(column) -%}
    coalesce({{ column }} rlike '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', false)
{%- endmacro %}

{#- A dimension's surrogate key: a BIGINT from its business key columns (the first 63 bits of
    the md5 of the joined values), stable across rebuilds and engines. Integer keys keep the
    facts narrow: a third of the write and join cost of md5 text, and what Power BI
    relationships want. DuckDB's md5_number reads the 16 digest bytes as a little-endian
    128-bit integer, so its top 63 bits are digest bytes 16…9 read backwards, shifted once:
    Spark reassembles those bytes from the hex digest. -#}
{% macro surrogate_key(columns) -%}
    {{ adapter.dispatch('surrogate_key', 'medallion')(columns) }}
{%- endmacro %}
{% macro key_text(columns) -%}
    concat_ws('|', {% for c in columns %}coalesce(cast({{ c }} as string), '∅'){% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}
{% macro duckdb__surrogate_key(columns) -%}
    cast(md5_number({{ key_text(columns) }}) >> 65 as bigint)
{%- endmacro %}
{% macro spark__surrogate_key(columns) -%}
    shiftrightunsigned(cast(conv(concat({% for byte in range(15, 7, -1) %}substr(md5({{ key_text(columns) }}), {{ 2 * byte + 1 }}, 2){% if not loop.last %}, {% endif %}{% endfor %}), 16, -10) as bigint), 1)
{%- endmacro %}

{#- A keyed hash for pseudonymised personal values: sha256 (hex) of a secret salt and the value,
    so a dictionary of likely values cannot reverse it as it reverses a plain md5. The salt comes
    from the environment (MEDALLION_GDPR_SALT, never committed); without it a documented
    local-only default is used, fine for generated data and nothing else (docs/decisions.md #61). -#}
{% macro keyed_hash(expr) -%}
    {{ sha256_hex(gdpr_salt() ~ ' || ' ~ expr) }}
{%- endmacro %}
{% macro gdpr_salt() -%}
    '{{ env_var("MEDALLION_GDPR_SALT", "medallion-local-only-salt") | replace("'", "''") }}'
{%- endmacro %}

{#- sha256 of a string, as 64 lower-case hex digits. -#}
{% macro sha256_hex(text) -%}
    {{ adapter.dispatch('sha256_hex', 'medallion')(text) }}
{%- endmacro %}
{% macro duckdb__sha256_hex(text) %}sha256({{ text }}){% endmacro %}
{% macro spark__sha256_hex(text) %}sha2({{ text }}, 256){% endmacro %}

{#- A JSON text parsed once into a struct of string fields: `fields` is a list of (name, none)
    for a string and (name, [fields]) for a nested object. -#}
{% macro json_to_struct(column, fields) -%}
    {{ adapter.dispatch('json_to_struct', 'medallion')(column, fields) }}
{%- endmacro %}
{% macro duckdb__json_to_struct(column, fields) -%}
    json_transform({{ column }}, '{{ duckdb__json_struct_spec(fields) }}')
{%- endmacro %}
{% macro duckdb__json_struct_spec(fields) -%}
    { {%- for name, nested in fields %}"{{ name }}": {% if nested %}{{ duckdb__json_struct_spec(nested) }}{% else %}"VARCHAR"{% endif %}{% if not loop.last %}, {% endif %}{% endfor -%} }
{%- endmacro %}
{% macro spark__json_to_struct(column, fields) -%}
    from_json({{ column }}, '{{ spark__json_struct_spec(fields) }}')
{%- endmacro %}
{% macro spark__json_struct_spec(fields) -%}
    struct<{%- for name, nested in fields %}{{ name }}: {% if nested %}{{ spark__json_struct_spec(nested) }}{% else %}string{% endif %}{% if not loop.last %}, {% endif %}{% endfor -%}>
{%- endmacro %}

{#- `materialized` for a CTE read several times: DuckDB computes it once; Spark has no such
    hint (its optimiser reuses the exchange). -#}
{% macro materialized_cte() -%}
    {{ adapter.dispatch('materialized_cte', 'medallion')() }}
{%- endmacro %}
{% macro duckdb__materialized_cte() %}materialized{% endmacro %}
{% macro spark__materialized_cte() %}{% endmacro %}

{#- Every column but `columns` of the relations in scope. -#}
{% macro star_except(columns) -%}
    {{ adapter.dispatch('star_except', 'medallion')(columns) }}
{%- endmacro %}
{% macro duckdb__star_except(columns) %}* exclude ({{ columns | join(', ') }}){% endmacro %}
{% macro spark__star_except(columns) %}* except ({{ columns | join(', ') }}){% endmacro %}

{#- One row per day from `first_day` to `last_day` of the one-row relation `bounds`, column
    `date_day`: a select statement. -#}
{% macro day_series(bounds, first_day, last_day) -%}
    {{ adapter.dispatch('day_series', 'medallion')(bounds, first_day, last_day) }}
{%- endmacro %}
{% macro duckdb__day_series(bounds, first_day, last_day) -%}
    select cast(series.day as date) as date_day
    from {{ bounds }}, generate_series({{ bounds }}.{{ first_day }}, {{ bounds }}.{{ last_day }}, interval 1 day) as series(day)
{%- endmacro %}
{% macro spark__day_series(bounds, first_day, last_day) -%}
    select explode(sequence({{ first_day }}, {{ last_day }}, interval 1 day)) as date_day
    from {{ bounds }}
{%- endmacro %}

{#- A left join to the latest row of `relation` (alias `alias`) at or before the left side's
    `at` among the rows matching `on`: `alias.time_column <= at`. DuckDB has ASOF joins; on
    Spark each row of `relation` is valid until the next row of its `partition_by` columns,
    which is the same when (`partition_by`, `time_column`) is unique in `relation`. -#}
{% macro asof_left_join(relation, alias, on, time_column, at, partition_by) -%}
    {{ adapter.dispatch('asof_left_join', 'medallion')(relation, alias, on, time_column, at, partition_by) }}
{%- endmacro %}
{% macro duckdb__asof_left_join(relation, alias, on, time_column, at, partition_by) -%}
    asof left join {{ relation }} as {{ alias }}
        on {{ on }}
        and {{ alias }}.{{ time_column }} <= {{ at }}
{%- endmacro %}
{% macro spark__asof_left_join(relation, alias, on, time_column, at, partition_by) -%}
    left join (
        select *, lead({{ time_column }}) over (partition by {{ partition_by | join(', ') }} order by {{ time_column }}) as asof_valid_until
        from {{ relation }}
    ) as {{ alias }}
        on {{ on }}
        and {{ alias }}.{{ time_column }} <= {{ at }}
        and ({{ alias }}.asof_valid_until is null or {{ at }} < {{ alias }}.asof_valid_until)
{%- endmacro %}

{#- Incremental models: DuckDB deletes and inserts the rebuilt keys; Spark merges them, which
    needs a table format with row-level updates (Delta, Iceberg, Hudi). On plain Parquet (the
    local test cluster, which cannot fetch Delta Lake's jars) they are rebuilt as tables on
    every run: the same rows, without the saving (docs/decisions.md #104). -#}
{% macro incremental_materialization() -%}
    {{ adapter.dispatch('incremental_materialization', 'medallion')() }}
{%- endmacro %}
{% macro duckdb__incremental_materialization() %}incremental{% endmacro %}
{% macro spark__incremental_materialization() %}{% if var('spark_file_format') in ['delta', 'iceberg', 'hudi'] %}incremental{% else %}table{% endif %}{% endmacro %}

{% macro incremental_strategy() -%}
    {{ adapter.dispatch('incremental_strategy', 'medallion')() }}
{%- endmacro %}
{% macro duckdb__incremental_strategy() %}delete+insert{% endmacro %}
{% macro spark__incremental_strategy() %}merge{% endmacro %}

{#- The `bronze` sources on Spark (run by on-run-start): a view per Bronze table over the lake
    folder `var('spark_lake')` (absolute; shared storage on a real cluster), reading its Delta
    tables or its row-identical Parquet mirror (`var('spark_bronze_format')`), the rejects
    Bronze quarantined, and the manifest of processed files (`var('spark_manifest')`, a Parquet
    export of the warehouse's main.manifest_processed_files). DuckDB's come from Bronze itself. -#}
{% macro create_bronze_sources() -%}
    {{ adapter.dispatch('create_bronze_sources', 'medallion')() }}
{%- endmacro %}
{% macro duckdb__create_bronze_sources() %}{% endmacro %}
{% macro spark__create_bronze_sources() %}
    {%- if execute -%}
    {%- set lake = var('spark_lake') -%}
    {%- set format = var('spark_bronze_format') -%}
    {%- set views = {} -%}
    {%- for node in graph.sources.values() if node.source_name == 'bronze' and node.name != 'rejects' -%}
        {%- do views.update({'bronze.' ~ node.name: format ~ '.`' ~ lake ~ '/bronze/' ~ format ~ '/' ~ node.name ~ '`'}) -%}
    {%- endfor -%}
    {%- do views.update({'bronze.rejects': 'parquet.`' ~ lake ~ '/_rejects/*/*.parquet`'}) -%}
    {%- do views.update({'main.manifest_processed_files': 'parquet.`' ~ var('spark_manifest') ~ '`'}) -%}
    {%- do run_query('create database if not exists bronze') -%}
    {%- do run_query('create database if not exists main') -%}
    {%- for view, files in views.items() -%}
        {%- do run_query('create or replace view ' ~ view ~ ' as select * from ' ~ files) -%}
    {%- endfor -%}
    {%- endif -%}
{% endmacro %}
