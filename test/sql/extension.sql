-- The extension as a whole: version, schema, and the house rule that every
-- object it installs carries a comment.
SELECT extname, extversion, extrelocatable, nspname
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE extname = 'netflow';

-- Objects of the extension without COMMENT ON: must be none.
SELECT pg_describe_object(d.classid, d.objid, 0) AS uncommented
FROM pg_depend d
WHERE d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'netflow')
  AND d.deptype = 'e'
  AND d.classid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass)
  AND obj_description(d.objid, d.classid::regclass::name) IS NULL
  -- array types and composite row types of tables are described by their base object
  AND NOT (d.classid = 'pg_type'::regclass AND EXISTS (
        SELECT 1 FROM pg_type t WHERE t.oid = d.objid AND (t.typelem <> 0 AND t.typlen = -1 OR t.typrelid <> 0)))
ORDER BY 1;

-- Columns of the extension's tables and views without COMMENT ON COLUMN:
-- must be none (a view's columns need their own comments; psql's \d+ shows
-- them to the analyst).
SELECT c.oid::regclass AS relation, a.attname AS uncommented_column
FROM pg_depend d
JOIN pg_class c ON c.oid = d.objid
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'netflow')
  AND d.deptype = 'e'
  AND d.classid = 'pg_class'::regclass
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND col_description(c.oid, a.attnum) IS NULL
ORDER BY 1, 2;

-- Functions of the extension left PARALLEL UNSAFE by default must be
-- deliberate: they are listed here and reviewed.
SELECT p.oid::regprocedure AS parallel_unsafe
FROM pg_proc p
JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'netflow')
  AND p.proparallel = 'u'
ORDER BY 1;
