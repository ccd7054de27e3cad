-- timed_count(query): runs query (one row, one count) and returns its wall time in ms;
-- included by bench/benchmark.sql and bench/joins.sql
CREATE FUNCTION timed_count(query text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); n bigint;
BEGIN
  EXECUTE query INTO n;
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
