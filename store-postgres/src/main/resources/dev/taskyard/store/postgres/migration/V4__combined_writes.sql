-- Combined writes: a store instance runs the resolutions (and sandbox handles) that its threads make at the same time
-- as one call of these functions: one round trip, one transaction, one commit for all. Each loops over its arrays and
-- runs, per element, a primary-key UPDATE of one row (its plan cached per connection), unlike an UPDATE joined with
-- the list of rows (which, on a table analyzed while it held few RUNNING rows, walked every RUNNING row per call).
-- The status test is written `status || '' = 'RUNNING'` so that no index can serve it: the primary key is then the
-- only index path, in every state of the statistics (with `status = 'RUNNING'`, a table analyzed while no task was
-- RUNNING makes even a custom plan of the one-row UPDATE walk the tasks_leased index, i.e. every RUNNING row).
-- Each returns, per element, whether the row was updated; the store explains a refusal (lost lease, repeated
-- resolution) with the single statement. The caller passes the elements ordered by task id (one lock order for all).

-- Resolutions, committed synchronously (as a single resolution is).
CREATE FUNCTION taskyard_resolve(ids VARCHAR[], tokens VARCHAR[], statuses VARCHAR[], completed BIGINT[],
                                 results TEXT[], reasons VARCHAR[], titles TEXT[], details TEXT[],
                                 exit_codes INTEGER[])
RETURNS BOOLEAN[] LANGUAGE plpgsql AS $$
DECLARE
    updated BOOLEAN[] := '{}';
BEGIN
    FOR i IN 1 .. coalesce(array_length(ids, 1), 0) LOOP
        UPDATE tasks
        SET status = statuses[i], completed_at = completed[i], result = results[i], error_reason = reasons[i],
            error_title = titles[i], error_detail = details[i], resolved_token = tokens[i],
            progress = CASE WHEN statuses[i] = 'COMPLETED' THEN 100 ELSE progress END, version = version + 1,
            exit_code = exit_codes[i]
        WHERE id = ids[i] AND lease_token = tokens[i] AND status || '' = 'RUNNING';
        updated := updated || FOUND;
    END LOOP;
    RETURN updated;
END
$$;

-- Sandbox handles, committed without waiting for the flush of the write-ahead log (as a single one is).
CREATE FUNCTION taskyard_save_sandboxes(ids VARCHAR[], tokens VARCHAR[], engines VARCHAR[], data TEXT[])
RETURNS BOOLEAN[] LANGUAGE plpgsql AS $$
DECLARE
    updated BOOLEAN[] := '{}';
BEGIN
    PERFORM set_config('synchronous_commit', 'off', TRUE);
    FOR i IN 1 .. coalesce(array_length(ids, 1), 0) LOOP
        UPDATE tasks SET sandbox_engine = engines[i], sandbox_data = data[i]
        WHERE id = ids[i] AND lease_token = tokens[i] AND status || '' = 'RUNNING';
        updated := updated || FOUND;
    END LOOP;
    RETURN updated;
END
$$;
