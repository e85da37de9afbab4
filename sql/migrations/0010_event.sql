-- Our own events. billig_id is billig's event key: optional (not every event is
-- ticketed) and unique (one billig event is sold for one of ours), but not a foreign
-- key, because billig is another database that another team owns.

CREATE TABLE event (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title     text NOT NULL CHECK (btrim(title) <> ''),
    starts_at timestamptz,
    billig_id bigint UNIQUE
);
