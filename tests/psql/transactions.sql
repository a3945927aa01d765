-- Transactions through psql: BEGIN/COMMIT/ROLLBACK, an error inside a block
-- (the block is aborted until ROLLBACK), COMMIT of a failed block.
-- Tables are prefixed txn_.
\set ECHO all
\set VERBOSITY verbose
CREATE TABLE txn_accounts (id int PRIMARY KEY, owner text NOT NULL, balance int NOT NULL);
INSERT INTO txn_accounts VALUES (1, 'ann', 100), (2, 'bob', 50);
-- a committed transfer
BEGIN;
UPDATE txn_accounts SET balance = balance - 30 WHERE id = 1;
UPDATE txn_accounts SET balance = balance + 30 WHERE id = 2;
SELECT * FROM txn_accounts ORDER BY id;
COMMIT;
SELECT * FROM txn_accounts ORDER BY id;
-- a rolled back one
BEGIN;
DELETE FROM txn_accounts;
SELECT count(*) FROM txn_accounts;
ROLLBACK;
SELECT count(*) FROM txn_accounts;
-- an error inside a block aborts it until ROLLBACK
BEGIN;
INSERT INTO txn_accounts VALUES (3, 'cat', 10);
INSERT INTO txn_accounts VALUES (1, 'dup', 0);
SELECT * FROM txn_accounts;
UPDATE txn_accounts SET balance = 0;
ROLLBACK;
SELECT * FROM txn_accounts ORDER BY id;
-- COMMIT of an aborted block rolls it back
BEGIN;
INSERT INTO txn_accounts VALUES (4, 'dan', 5);
SELECT 1 / 0;
COMMIT;
SELECT count(*) FROM txn_accounts WHERE id = 4;
-- statements outside a block are not affected by an earlier error
INSERT INTO txn_accounts VALUES (5, NULL, 1);
INSERT INTO txn_accounts VALUES (5, 'eve', 1);
-- other spellings, isolation levels, and stray COMMIT/ROLLBACK
START TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SHOW transaction_isolation;
UPDATE txn_accounts SET balance = balance + 1 WHERE id = 5;
END;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT id, balance FROM txn_accounts ORDER BY id;
ABORT;
COMMIT;
ROLLBACK;
BEGIN;
BEGIN;
COMMIT;
SELECT id, owner, balance FROM txn_accounts ORDER BY id;
DROP TABLE txn_accounts;
