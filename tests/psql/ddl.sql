-- DDL through psql: CREATE/ALTER/DROP of tables, indexes and sequences, and
-- the errors they raise. Objects are prefixed ddl_.
\set ECHO all
\set VERBOSITY verbose
SET TimeZone = 'UTC';
CREATE TABLE ddl_users (
    id int PRIMARY KEY,
    name text NOT NULL,
    email varchar(100) UNIQUE,
    age smallint CHECK (age >= 0),
    active boolean DEFAULT true,
    joined date DEFAULT '2024-01-01'
);
INSERT INTO ddl_users (id, name, email, age) VALUES (1, 'ann', 'ann@example.com', 30);
SELECT * FROM ddl_users;
-- creating it again fails; IF NOT EXISTS only notices
CREATE TABLE ddl_users (id int);
CREATE TABLE IF NOT EXISTS ddl_users (id int);
-- a composite primary key and a named constraint
CREATE TABLE ddl_pairs (a int, b text, v numeric(8,2) NOT NULL DEFAULT 0,
    CONSTRAINT ddl_pairs_pk PRIMARY KEY (a, b));
INSERT INTO ddl_pairs (a, b) VALUES (1, 'x'), (1, 'y');
SELECT * FROM ddl_pairs ORDER BY a, b;
-- ALTER TABLE ADD / DROP COLUMN
ALTER TABLE ddl_users ADD COLUMN score int DEFAULT 7;
ALTER TABLE ddl_users ADD COLUMN nickname text;
SELECT id, name, score, nickname FROM ddl_users;
ALTER TABLE ddl_users DROP COLUMN nickname;
ALTER TABLE ddl_users DROP COLUMN nickname;
ALTER TABLE ddl_users DROP COLUMN IF EXISTS nickname;
ALTER TABLE ddl_nosuch ADD COLUMN x int;
SELECT * FROM ddl_users;
-- indexes
CREATE INDEX ddl_users_name_idx ON ddl_users (name);
CREATE UNIQUE INDEX ddl_users_age_key ON ddl_users (age);
CREATE INDEX ddl_users_name_idx ON ddl_users (name);
CREATE INDEX IF NOT EXISTS ddl_users_name_idx ON ddl_users (name);
CREATE INDEX ddl_bad_idx ON ddl_users (nosuch);
INSERT INTO ddl_users (id, name, age) VALUES (2, 'bob', 30);
INSERT INTO ddl_users (id, name, age) VALUES (2, 'bob', 31);
SELECT id, name, age FROM ddl_users WHERE name = 'bob';
DROP INDEX ddl_users_age_key;
DROP INDEX ddl_users_age_key;
DROP INDEX IF EXISTS ddl_users_age_key;
-- sequences and serial columns
CREATE SEQUENCE ddl_seq START 100 INCREMENT BY 10;
SELECT nextval('ddl_seq'), nextval('ddl_seq');
SELECT currval('ddl_seq');
CREATE TABLE ddl_items (id serial PRIMARY KEY, label text);
INSERT INTO ddl_items (label) VALUES ('first'), ('second') RETURNING id, label;
SELECT * FROM ddl_items ORDER BY id;
-- bad definitions
CREATE TABLE ddl_dup (a int, a text);
CREATE TABLE ddl_badtype (a nosuchtype);
CREATE TABLE ddl_twopk (a int PRIMARY KEY, b int PRIMARY KEY);
-- TRUNCATE and DROP
TRUNCATE ddl_pairs;
SELECT count(*) FROM ddl_pairs;
DROP TABLE ddl_pairs, ddl_items;
DROP TABLE ddl_pairs;
DROP TABLE IF EXISTS ddl_pairs;
DROP SEQUENCE ddl_seq;
DROP TABLE ddl_users;
SELECT * FROM ddl_users;
