-- Errors through psql, shown with their SQLSTATE (VERBOSITY verbose), and the
-- session staying usable after each one. Tables are prefixed err_.
\set ECHO all
\set VERBOSITY verbose
CREATE TABLE err_t (id int PRIMARY KEY, name text NOT NULL, code varchar(3), n smallint);
INSERT INTO err_t VALUES (1, 'one', 'a', 1);
-- 42601 syntax error
SELEC 1;
SELECT * FROM;
-- 42P01 undefined table, 42703 undefined column, 42883 undefined function
SELECT * FROM err_nosuch;
SELECT nosuch FROM err_t;
SELECT no_such_function(1);
-- 23505 unique violation, 23502 not null violation, 23514 check violation
INSERT INTO err_t VALUES (1, 'again', 'b', 2);
INSERT INTO err_t (id) VALUES (2);
UPDATE err_t SET name = NULL;
-- 22P02 invalid text representation, 22003 out of range, 22001 too long,
-- 22012 division by zero, 22008 bad datetime
SELECT 'abc'::int;
INSERT INTO err_t VALUES (3, 'three', 'c', 40000);
INSERT INTO err_t VALUES (3, 'three', 'toolong', 3);
SELECT 1 / 0;
SELECT DATE '2024-02-30';
-- 42804 / 42883 type mismatches
SELECT 'a'::text + 1;
-- the session is still fine
SELECT * FROM err_t;
DROP TABLE err_t;
