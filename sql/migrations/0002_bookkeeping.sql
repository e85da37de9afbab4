-- Import bookkeeping: which exports arrived, what each layer did, what analysts must fix.

CREATE TABLE loader_file (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sha256        text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    name          text NOT NULL,
    size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
    format        text NOT NULL CHECK (format IN ('json', '7z')),
    archive_path  text,
    registered_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE loader_report (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version        text NOT NULL UNIQUE CHECK (version ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    file_id        bigint REFERENCES loader_file (id),
    content_sha256 text,
    reports        bigint,
    status         text NOT NULL DEFAULT 'registered'
                   CHECK (status IN ('registered', 'validated', 'invalid', 'loaded', 'failed')),
    error_count    bigint NOT NULL DEFAULT 0,
    validated_at   timestamptz,
    loaded_at      timestamptz,
    counts         jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX loader_report_file_id_idx ON loader_report (file_id);

CREATE TABLE loader_error (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id       bigint NOT NULL REFERENCES loader_report (id) ON DELETE CASCADE,
    version         text NOT NULL,
    code            text NOT NULL CHECK (code IN ('not_found', 'multiple_records', 'cant_parse',
                                                  'required', 'mapping_not_found', 'duplicated_ext_ids')),
    entity          text NOT NULL,
    ext_id          text,
    passport_ext_id text,
    field           text NOT NULL,
    value           text,
    message         text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX loader_error_report_id_code_idx ON loader_error (report_id, code);
