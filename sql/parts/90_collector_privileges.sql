-- 90_collector_privileges.sql: what the roles of 30_collector.sql may do.
-- Last part, so that every object it names exists.
--
-- netflow_reader: read flows, the collector's state and views, and
-- maintenance's records and settings; write nothing (test/pgtap/reader.sql).
-- netflow_collector: what the collector's inserter needs when it runs as a
-- non-superuser (netflow.role): insert flows, route them through
-- route_flows (SECURITY DEFINER: it creates partitions within the window as the
-- extension owner), keep netflow.templates, netflow.sampling and
-- netflow.exporter_state, run maintenance as of now (run_maintenance(), the
-- inserter's schedule) and log a failed run.

REVOKE ALL ON FUNCTION netflow.collector_workers() FROM PUBLIC;
REVOKE ALL ON FUNCTION netflow.collector_counters() FROM PUBLIC;
REVOKE ALL ON FUNCTION netflow.exporters_info() FROM PUBLIC;

GRANT USAGE ON SCHEMA netflow TO netflow_reader, netflow_collector;
GRANT SELECT ON netflow.flows, netflow.flows_future, netflow.templates,
	netflow.sampling, netflow.exporter_state, netflow.collector_stats,
	netflow.drop_counters, netflow.exporters
	TO netflow_reader;
-- What the manual presents to analysts besides (docs/collector.md,
-- "Security"): the upscaled view, maintenance's records, and the settings
-- that say how much history there is (read only).
GRANT SELECT ON netflow.flows_upscaled, netflow.partitions,
	netflow.maintenance_log, netflow.window_counters, netflow.config,
	netflow.config_defaults
	TO netflow_reader;
GRANT EXECUTE ON FUNCTION netflow.collector_workers(),
	netflow.collector_counters(), netflow.exporters_info() TO netflow_reader;

GRANT INSERT ON netflow.flows, netflow.flows_future TO netflow_collector;
GRANT SELECT, INSERT, UPDATE, DELETE ON netflow.templates, netflow.sampling,
	netflow.exporter_state TO netflow_collector;
-- netflow.ensure_partitions_for(times, now), the routing of 0.1, is not
-- granted: its time argument would let the collector's role create
-- partitions around any time it chose.  The collector calls route_flows,
-- which takes no time.

-- Saved loss counters: readers read them (and netflow.drop_counters, whose
-- netflow.loss_counters() they execute); the collector adds to them.
REVOKE ALL ON FUNCTION netflow.loss_counters() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION netflow.loss_counters() TO netflow_reader;
GRANT SELECT ON netflow.saved_counters TO netflow_reader;
GRANT SELECT, INSERT, UPDATE ON netflow.saved_counters TO netflow_collector;

-- The inserter's maintenance schedule, as netflow.role: run it as of now and
-- record a run that failed as a whole.
GRANT EXECUTE ON FUNCTION netflow.run_maintenance(),
	netflow.log_maintenance_failure(timestamptz, text) TO netflow_collector;

-- Routing of the collector's flows (issue 10: window policy) and the store
-- of flows before the window.
GRANT SELECT ON netflow.flows_past TO netflow_reader;
GRANT INSERT ON netflow.flows_past TO netflow_collector;
GRANT EXECUTE ON FUNCTION netflow.route_flows(timestamptz[]) TO netflow_collector;
