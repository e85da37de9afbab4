-- Read models: denormalized, queryable tables kept one-way in sync with their
-- canonical sources. Every row names its source (canonical_source) and that source
-- row's key (canonical_pk), so drift can be found row by row and rows re-created.
-- Read models carry no foreign keys: they are derived data, rebuilt at will, and a
-- row whose source vanished is drift for the checks to report, not an error to block.
-- synced_at is when the row's values last changed; it is never compared.

CREATE TABLE passport_overview (
    canonical_source  text   NOT NULL DEFAULT 'passport' CHECK (canonical_source = 'passport'),
    canonical_pk      bigint PRIMARY KEY,                 -- passport.id
    ext_id            text,
    name              text   NOT NULL,
    category_name     text,
    inspector_name    text,
    maintenance_count bigint NOT NULL,
    last_maintenance  date,
    total_cost        numeric(16, 2) NOT NULL,
    sign_count        bigint NOT NULL,
    synced_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX passport_overview_category_name_idx ON passport_overview (category_name);

-- The canonical computation of passport_overview rows, for every passport (NULL) or
-- for the given ones. The refresh, the full rebuild and the drift check all read it,
-- so they cannot disagree; analysts can call it too. A plain SQL function, so the
-- planner inlines it and the id filter reaches each aggregate.
CREATE FUNCTION passport_overview_rows(only_ids bigint[] DEFAULT NULL)
RETURNS TABLE (
    canonical_source  text,
    canonical_pk      bigint,
    ext_id            text,
    name              text,
    category_name     text,
    inspector_name    text,
    maintenance_count bigint,
    last_maintenance  date,
    total_cost        numeric,
    sign_count        bigint
)
LANGUAGE sql STABLE AS $$
    SELECT 'passport'::text,
           p.id,
           p.ext_id,
           p.name,
           c.name,
           nullif(concat_ws(' ', i.last_name, i.first_name, i.middle_name), ''),
           coalesce(m.maintenance_count, 0),
           m.last_maintenance,
           coalesce(m.total_cost, 0),
           coalesce(s.sign_count, 0)
    FROM passport p
    LEFT JOIN category c ON c.id = p.category_id
    LEFT JOIN profile i ON i.id = p.inspector_id
    LEFT JOIN (
        SELECT passport_id, count(*) AS maintenance_count, max(date) AS last_maintenance,
               sum(cost) AS total_cost
        FROM maintenance
        WHERE only_ids IS NULL OR passport_id = ANY (only_ids)
        GROUP BY passport_id
    ) m ON m.passport_id = p.id
    LEFT JOIN (
        SELECT passport_id, count(*) AS sign_count
        FROM sign
        WHERE only_ids IS NULL OR passport_id = ANY (only_ids)
        GROUP BY passport_id
    ) s ON s.passport_id = p.id
    WHERE only_ids IS NULL OR p.id = ANY (only_ids)
$$;

-- One row per our event that billig knows: billig's ticket and price groups (public
-- fields only, as jsonb) and the sales figures. canonical_pk is billig's event key;
-- canonical_source the billig table it was read from.
CREATE TABLE event_sales (
    canonical_source text    NOT NULL CHECK (canonical_source IN ('billig.event', 'billig.event_lim_web')),
    canonical_pk     bigint  PRIMARY KEY,                -- billig event key (= event.billig_id)
    event_id         bigint  NOT NULL,                   -- our event.id
    event_name       text    NOT NULL,
    sale_from        timestamp,
    sale_to          timestamp,
    hidden           boolean NOT NULL,
    ticket_groups    jsonb   NOT NULL,
    capacity         bigint  NOT NULL,
    sold             bigint  NOT NULL,
    refunded         bigint,                             -- null where billig has no ticket table
    revenue          bigint,                             -- whole currency units; null likewise
    synced_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_sales_event_id_idx ON event_sales (event_id);
