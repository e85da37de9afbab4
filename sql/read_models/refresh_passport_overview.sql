SELECT inserted, updated, deleted FROM passport_overview_refresh(%s::bigint[])
