-- Shared test step (\i): drop every partition of netflow.flows (inside a
-- transaction of the test, its ROLLBACK gives them back).
DO $$
DECLARE
	p regclass;
BEGIN
	FOR p IN SELECT partition FROM netflow.flows_partitions() LOOP
		EXECUTE format('DROP TABLE %s', p);
	END LOOP;
END
$$;
