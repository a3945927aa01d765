-- DML through psql: INSERT, UPDATE, DELETE (with RETURNING), SELECT with
-- filters, joins, aggregates, NULLs and psql's table formatting.
-- Tables are prefixed dml_.
\set ECHO all
\set VERBOSITY verbose
SET TimeZone = 'UTC';
CREATE TABLE dml_products (
    id int PRIMARY KEY,
    name text NOT NULL,
    color text,
    price numeric(8,2),
    qty int DEFAULT 0
);
INSERT INTO dml_products VALUES
    (1, 'apple', 'red', 1.20, 10),
    (2, 'banana', 'yellow', 0.50, 25),
    (3, 'cherry', 'red', 7.00, 3),
    (4, 'grape', NULL, 3.10, 0),
    (5, 'kiwi', 'green', NULL, 8);
INSERT INTO dml_products (id, name) VALUES (6, 'lime') RETURNING *;
SELECT * FROM dml_products ORDER BY id;
SELECT name, price * qty AS stock_value FROM dml_products WHERE color = 'red' ORDER BY name;
SELECT color, count(*), sum(qty) AS total_qty, max(price) FROM dml_products
    GROUP BY color ORDER BY color NULLS FIRST;
SELECT name FROM dml_products WHERE color IS NULL OR price IS NULL ORDER BY 1;
SELECT name, coalesce(color, '(none)') AS color FROM dml_products ORDER BY id LIMIT 3 OFFSET 2;
UPDATE dml_products SET qty = qty + 5 WHERE color = 'red';
UPDATE dml_products SET price = price * 2 WHERE id = 3 RETURNING id, name, price;
UPDATE dml_products SET qty = 0 WHERE id = 999;
SELECT id, qty FROM dml_products WHERE color = 'red' ORDER BY id;
DELETE FROM dml_products WHERE qty = 0 RETURNING name;
SELECT count(*) FROM dml_products;
-- a second table and joins
CREATE TABLE dml_orders (id int PRIMARY KEY, product int, amount int);
INSERT INTO dml_orders VALUES (100, 1, 2), (101, 1, 3), (102, 3, 1), (103, 42, 9);
SELECT o.id, p.name, o.amount FROM dml_orders o JOIN dml_products p ON p.id = o.product ORDER BY o.id;
SELECT o.id, p.name FROM dml_orders o LEFT JOIN dml_products p ON p.id = o.product ORDER BY o.id;
SELECT p.name, sum(o.amount) AS ordered FROM dml_products p
    JOIN dml_orders o ON o.product = p.id GROUP BY p.name HAVING sum(o.amount) > 1 ORDER BY p.name;
SELECT name FROM dml_products WHERE id IN (SELECT product FROM dml_orders) ORDER BY name;
-- INSERT ... SELECT and upserts
CREATE TABLE dml_archive (id int PRIMARY KEY, name text);
INSERT INTO dml_archive SELECT id, name FROM dml_products WHERE price < 2;
SELECT * FROM dml_archive ORDER BY id;
INSERT INTO dml_archive VALUES (1, 'again') ON CONFLICT (id) DO NOTHING;
INSERT INTO dml_archive VALUES (2, 'banana2') ON CONFLICT (id) DO UPDATE SET name = excluded.name;
SELECT * FROM dml_archive ORDER BY id;
-- values of several types, and psql's NULL and alignment
SELECT 42 AS int, -1.5::numeric(5,2) AS num, 'text' AS txt, NULL::int AS nothing,
    true AS yes, DATE '2024-02-29' AS day, TIMESTAMP '2024-01-02 03:04:05.5' AS ts,
    INTERVAL '1 day 02:00:00' AS iv, '{"a": [1, 2]}'::jsonb AS doc, '\x0102ff'::bytea AS bytes;
\pset null '<null>'
SELECT id, price FROM dml_products ORDER BY id;
\pset null ''
\x on
SELECT * FROM dml_products WHERE id = 1;
\x off
DROP TABLE dml_products, dml_orders, dml_archive;
-- COPY with a HEADER line, in and out, new and old option syntax
CREATE TABLE dml_copy (a int PRIMARY KEY, b text);
COPY dml_copy FROM STDIN WITH (FORMAT csv, HEADER);
a,b
1,x
\.
COPY dml_copy FROM STDIN CSV HEADER;
a,b
2,"y,z"
\.
COPY dml_copy FROM STDIN WITH (FORMAT text, HEADER true);
a	b
3	w
\.
COPY (SELECT 1 AS a, 'x' AS b) TO STDOUT WITH (FORMAT csv, HEADER);
COPY dml_copy TO STDOUT WITH (FORMAT text, HEADER true);
COPY dml_copy (b) TO STDOUT CSV HEADER;
DROP TABLE dml_copy;
