-- billig mirror, older generation: the tables Strata reads, as production has them.
--
-- billig is another team's ticket and payment database: we read it, never own it.
-- This file builds a development stand-in (SQLite, by `strata billig seed`) and the
-- PostgreSQL stand-in of the tests. Table names contain a literal dot: "billig.event"
-- is ONE table name, so it is always quoted. The DDL is the common subset of SQLite
-- and PostgreSQL. Keys are bigint (production uses integer; bigint reads the same).

CREATE TABLE "billig.event" (
    event      bigint       NOT NULL PRIMARY KEY,
    event_name varchar(140) NOT NULL,
    sale_from  timestamp    NOT NULL,
    sale_to    timestamp    NOT NULL,
    hidden     boolean      NOT NULL
);

CREATE TABLE "billig.ticket_group" (
    ticket_group            bigint       NOT NULL PRIMARY KEY,
    event                   bigint       NOT NULL REFERENCES "billig.event" (event),
    ticket_group_name       varchar(140) NOT NULL,
    ticket_limit            integer      NOT NULL,
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
