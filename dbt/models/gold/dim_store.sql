select
    {{ surrogate_key(['store_id']) }} as store_key,
    store_id,
    store_code,
    store_name,
    channel,
    region,
    state,
    case when has_impossible_coordinates then null else latitude end as latitude,
    case when has_impossible_coordinates then null else longitude end as longitude,
    open_dt,
    close_dt,
    {{ full_years('open_dt', 'coalesce(close_dt, current_date)') }} as age_years,
    case when close_dt is null or close_dt > current_date then 'Open' else 'Closed' end as status,
    case
        when channel = 'web' then 'Online'
        when store_id % 3 = 0 then 'Large'
        when store_id % 3 = 1 then 'Medium'
        else 'Small'
    end as size_category,
    has_impossible_coordinates,
    has_duplicate_store_code,
    false as is_unknown_member
from {{ ref('stg_stores') }}

union all

select {{ unknown_key() }}, null, null, 'Unknown', null, 'Unknown', null, null, null, null, null, null, 'Unknown', 'Unknown', false, false, true
