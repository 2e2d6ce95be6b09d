-- The sandbox handle the worker holding the current lease saved (TaskQueue.saveSandbox), so that the worker can
-- re-attach to the sandbox after a restart (TaskQueue.reclaim). Cleared whenever the task is handed out or back.
ALTER TABLE tasks ADD COLUMN sandbox_engine VARCHAR(64), ADD COLUMN sandbox_data TEXT;
