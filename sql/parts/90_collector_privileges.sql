-- 90_collector_privileges.sql: what the roles of 30_collector.sql may do.
-- Last part, so that every object it names exists.
--
-- netflow_reader: read flows and the collector's views.
-- netflow_collector: what the collector's inserter needs when it runs as a
-- non-superuser (netflow.role): insert flows, route them through
-- ensure_partitions_for (SECURITY DEFINER: it creates partitions as the
-- extension owner), keep netflow.templates, netflow.sampling and
-- netflow.exporter_state.

REVOKE ALL ON FUNCTION netflow.collector_workers() FROM PUBLIC;
REVOKE ALL ON FUNCTION netflow.collector_counters() FROM PUBLIC;
REVOKE ALL ON FUNCTION netflow.exporters_info() FROM PUBLIC;

GRANT USAGE ON SCHEMA netflow TO netflow_reader, netflow_collector;
GRANT SELECT ON netflow.flows, netflow.flows_future, netflow.templates,
	netflow.sampling, netflow.exporter_state, netflow.collector_stats,
	netflow.drop_counters, netflow.exporters
	TO netflow_reader;
GRANT EXECUTE ON FUNCTION netflow.collector_workers(),
	netflow.collector_counters(), netflow.exporters_info() TO netflow_reader;

GRANT INSERT ON netflow.flows, netflow.flows_future TO netflow_collector;
GRANT SELECT, INSERT, UPDATE, DELETE ON netflow.templates, netflow.sampling,
	netflow.exporter_state TO netflow_collector;
GRANT EXECUTE ON FUNCTION netflow.ensure_partitions_for(timestamptz[], timestamptz)
	TO netflow_collector;

-- Routing of the collector's flows (issue 10: window policy) and the store
-- of flows before the window.
GRANT SELECT ON netflow.flows_past TO netflow_reader;
GRANT INSERT ON netflow.flows_past TO netflow_collector;
GRANT EXECUTE ON FUNCTION netflow.route_flows(timestamptz[]) TO netflow_collector;
