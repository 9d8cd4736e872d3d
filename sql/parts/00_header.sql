-- netflow install script, assembled from sql/parts/*.sql by the Makefile.
-- Each part is about one subject; they run in file-name order.

\echo Use "CREATE EXTENSION netflow" to load this file. \quit
