-- psql meta-commands: they query pg_catalog, so this file depends on the
-- catalog tables rangedb exposes. Objects are prefixed meta_.
\set ECHO all
\set VERBOSITY verbose
CREATE TABLE meta_users (id int PRIMARY KEY, name text NOT NULL, email varchar(100) UNIQUE, score numeric(6,2) DEFAULT 0, active boolean DEFAULT true);
CREATE TABLE meta_events (id bigint PRIMARY KEY, at timestamptz, payload jsonb);
CREATE INDEX meta_users_name_idx ON meta_users (name);
\dt
\d meta_users
\d meta_events
\di
\dt meta_nosuch
\d meta_nosuch
\dn
\du root
\l postgres
DROP TABLE meta_users, meta_events;
\dt
