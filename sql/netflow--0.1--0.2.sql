-- netflow upgrade script from 0.1 to 0.2 (ALTER EXTENSION netflow UPDATE).
-- Every change made to sql/parts/ since 0.1 is repeated here, in the same
-- order, so that an upgraded installation equals a fresh install of 0.2
-- (test/t/090_upgrade.pl compares the two schemas).

\echo Use "ALTER EXTENSION netflow UPDATE TO '0.2'" to load this file. \quit

-- release: the comment inside maintenance_settings() names the function's new
-- file (src/partitions/ since the source tree was split into rooms); body
-- otherwise unchanged.
CREATE OR REPLACE FUNCTION netflow.maintenance_settings(OUT partition_interval interval,
											 OUT premake integer,
											 OUT retention interval,
											 OUT future_tolerance interval,
											 OUT forget_exporters_after interval,
											 OUT lock_timeout text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k		text;
	v		text;
BEGIN
	partition_interval := netflow.partition_interval();
	FOREACH k IN ARRAY ARRAY['premake', 'retention', 'future_tolerance',
							 'forget_exporters_after'] LOOP
		v := netflow.config_get(k);
		BEGIN
			CASE k
				WHEN 'premake' THEN premake := v::integer;
				WHEN 'retention' THEN retention := v::interval;
				WHEN 'future_tolerance' THEN future_tolerance := v::interval;
				ELSE forget_exporters_after := v::interval;
			END CASE;
		EXCEPTION WHEN data_exception THEN
			RAISE EXCEPTION 'invalid value for netflow setting "%": "%"', k, v
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = CASE k WHEN 'premake' THEN 'The value must be an integer.'
							   ELSE 'The value must be an interval.' END;
		END;
	END LOOP;
	IF premake IS NULL OR premake NOT BETWEEN 0 AND 1000 THEN
		RAISE EXCEPTION 'invalid value for netflow setting "premake": "%"', premake
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The number of partitions made ahead must be between 0 and 1000.';
	END IF;
	IF retention IS NULL OR retention < interval '0' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "retention": "%"', retention
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The retention must be a positive interval, or 0 to keep everything.';
	END IF;
	IF future_tolerance IS NULL OR future_tolerance < interval '0' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "future_tolerance": "%"', future_tolerance
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The future tolerance must be an interval of 0 or more.';
	END IF;
	IF forget_exporters_after IS NULL OR forget_exporters_after < interval '0' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "forget_exporters_after": "%"', forget_exporters_after
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The value must be a positive interval, or 0 to keep exporter state forever.';
	END IF;
	-- A GUC (src/partitions/partition_settings.c) when the library is loaded; the same
	-- default when it is not.
	lock_timeout := coalesce(nullif(current_setting('netflow.maintenance_lock_timeout', true), ''),
							 '100ms');
END
$$;
