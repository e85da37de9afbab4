-- billig mirror, newer generation: the event table is "billig.event_lim_web" with
-- more (nullable) columns, ticket_limit may be null, and purchases and tickets are
-- readable. Same conventions as schema_old.sql: one quoted table name per table,
-- the common subset of SQLite and PostgreSQL, bigint keys.

CREATE TABLE "billig.event_lim_web" (
    event          bigint       NOT NULL PRIMARY KEY,
    event_name     varchar(140) NOT NULL,
    sale_from      timestamp    NOT NULL,
    sale_to        timestamp    NOT NULL,
    hidden         boolean      NOT NULL,
    event_location varchar(140),
    event_time     timestamp,
    event_type     bigint,        -- key of billig.event_type (not mirrored)
    external_id    varchar(140),
    organisation   bigint,        -- key of billig.organisation (not mirrored)
    ticket_fee     integer        -- whole currency units
);

CREATE TABLE "billig.ticket_group" (
    ticket_group            bigint       NOT NULL PRIMARY KEY,
    event                   bigint       NOT NULL REFERENCES "billig.event_lim_web" (event),
    ticket_group_name       varchar(140) NOT NULL,
    ticket_limit            integer,
    num_sold                integer      NOT NULL,
    num                     integer      NOT NULL,
    is_theater_ticket_group boolean      NOT NULL
);
CREATE INDEX "billig.ticket_group_event_idx" ON "billig.ticket_group" (event);

CREATE TABLE "billig.price_group" (
    price_group        bigint       NOT NULL PRIMARY KEY,
    ticket_group       bigint       NOT NULL REFERENCES "billig.ticket_group" (ticket_group),
    price_group_name   varchar(140) NOT NULL,
    membership_needed  boolean      NOT NULL,
    can_be_put_on_card boolean      NOT NULL,
    netsale            boolean      NOT NULL,
    price              integer      NOT NULL  -- whole currency units
);
CREATE INDEX "billig.price_group_ticket_group_idx" ON "billig.price_group" (ticket_group);

CREATE TABLE "billig.purchase" (
    purchase        bigint NOT NULL PRIMARY KEY,
    owner_member_id bigint,
    owner_email     varchar(254)
);

CREATE TABLE "billig.ticket" (
    ticket      bigint  NOT NULL PRIMARY KEY,
    price_group bigint  NOT NULL REFERENCES "billig.price_group" (price_group),
    purchase    bigint  NOT NULL REFERENCES "billig.purchase" (purchase),
    used        boolean NOT NULL,
    refunded    boolean NOT NULL,
    on_card     boolean NOT NULL
);
CREATE INDEX "billig.ticket_price_group_idx" ON "billig.ticket" (price_group);
CREATE INDEX "billig.ticket_purchase_idx" ON "billig.ticket" (purchase);
