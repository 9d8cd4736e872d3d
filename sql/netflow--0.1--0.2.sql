-- netflow upgrade script from 0.1 to 0.2 (ALTER EXTENSION netflow UPDATE).
-- Every change made to sql/parts/ since 0.1 is repeated here, in the same
-- order, so that an upgraded installation equals a fresh install of 0.2
-- (test/t/090_upgrade.pl compares the two schemas).

\echo Use "ALTER EXTENSION netflow UPDATE TO '0.2'" to load this file. \quit
