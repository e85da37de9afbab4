-- Imported data: loaded from the export by ext_id, editable by analysts.
-- report_id is the layer that last wrote the row; auto_imported is set by a
-- trigger (0004), never by application code.

CREATE TABLE passport (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ext_id         text UNIQUE,
    name           text NOT NULL,
    category_id    bigint REFERENCES category (id),
    region         text,
    parent_id      bigint REFERENCES passport (id),
    commissioned   date,
    length_value   numeric,
    length_unit_id bigint REFERENCES measure_unit (id),
    inspector_id   bigint REFERENCES profile (id),
    status         text CHECK (status IN ('active', 'retired')),
    report_id      bigint REFERENCES loader_report (id),
    auto_imported  boolean NOT NULL DEFAULT false
);
CREATE INDEX passport_parent_id_idx ON passport (parent_id);
CREATE INDEX passport_category_id_idx ON passport (category_id);
CREATE INDEX passport_inspector_id_idx ON passport (inspector_id);

CREATE TABLE maintenance (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ext_id          text UNIQUE,
    passport_id     bigint NOT NULL REFERENCES passport (id) ON DELETE CASCADE,
    date            date NOT NULL,
    repair_type_id  bigint NOT NULL REFERENCES repair_type (id),
    performed_by_id bigint REFERENCES profile (id),
    cost            numeric(14, 2),
    report_id       bigint REFERENCES loader_report (id),
    auto_imported   boolean NOT NULL DEFAULT false
);
CREATE INDEX maintenance_passport_id_idx ON maintenance (passport_id);

CREATE TABLE maintenance_crew (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    maintenance_id bigint NOT NULL REFERENCES maintenance (id) ON DELETE CASCADE,
    profile_id     bigint NOT NULL REFERENCES profile (id),
    report_id      bigint REFERENCES loader_report (id),
    auto_imported  boolean NOT NULL DEFAULT false,
    UNIQUE (maintenance_id, profile_id)
);
CREATE INDEX maintenance_crew_profile_id_idx ON maintenance_crew (profile_id);

CREATE TABLE measurement (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ext_id         text UNIQUE,
    maintenance_id bigint NOT NULL REFERENCES maintenance (id) ON DELETE CASCADE,
    kind           text NOT NULL,
    value          numeric NOT NULL,
    unit_id        bigint NOT NULL REFERENCES measure_unit (id),
    report_id      bigint REFERENCES loader_report (id),
    auto_imported  boolean NOT NULL DEFAULT false
);
CREATE INDEX measurement_maintenance_id_idx ON measurement (maintenance_id);

CREATE TABLE sign (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ext_id        text UNIQUE,
    passport_id   bigint NOT NULL REFERENCES passport (id) ON DELETE CASCADE,
    sign_code_id  bigint NOT NULL REFERENCES sign_code (id),
    installed     date,
    condition     text,
    report_id     bigint REFERENCES loader_report (id),
    auto_imported boolean NOT NULL DEFAULT false
);
CREATE INDEX sign_passport_id_idx ON sign (passport_id);
