-- Which layers each registered export holds, and where their spools are.
-- raw_layer[m] reads the newest export holding m; the sensor compares sha256
-- with the last loaded content of m to decide whether m needs a run.

CREATE TABLE loader_file_layer (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id     bigint NOT NULL REFERENCES loader_file (id) ON DELETE CASCADE,
    version     text NOT NULL CHECK (version ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    released_at text,
    reports     bigint NOT NULL,
    bytes       bigint NOT NULL,
    sha256      text NOT NULL,
    spool_path  text NOT NULL,
    UNIQUE (file_id, version)
);
CREATE INDEX loader_file_layer_version_idx ON loader_file_layer (version, file_id DESC);
