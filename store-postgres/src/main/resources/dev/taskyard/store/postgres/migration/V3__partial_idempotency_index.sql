-- Only the tasks submitted with an idempotency key are indexed by it. An update that moves a task to another state
-- (claim, resolution) is not a HOT update (status is indexed), so it writes a new entry into every index of the table:
-- the full unique index held an entry, NULL, for every key-less task and took one more write on each of them.
CREATE UNIQUE INDEX tasks_idempotency_key ON tasks (idempotency_key) WHERE idempotency_key IS NOT NULL;
ALTER TABLE tasks DROP CONSTRAINT tasks_idempotency_key_key;
