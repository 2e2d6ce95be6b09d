-- The tables of the PostgreSQL task store. Times are epoch milliseconds (BIGINT) taken from the nodes' clocks.
-- tasks.attempts counts the hand-outs; the lease of hand-out n has attempt n-1. resolved_token makes a repeated
-- resolution a no-op. Rows are updated in place several times (claim, renewals, progress, resolution): fillfactor 70
-- leaves room for HOT updates, and autovacuum runs early on this hot table.
CREATE TABLE tasks (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    payload TEXT NOT NULL,
    status VARCHAR(16) NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    completed_at BIGINT,
    attempts INTEGER NOT NULL,
    lease_token VARCHAR(128),
    lease_expires_at BIGINT,
    lease_worker VARCHAR(512),
    lease_duration_ms BIGINT,
    resolved_token VARCHAR(128),
    progress INTEGER NOT NULL,
    result TEXT,
    error_reason VARCHAR(64),
    error_title TEXT,
    error_detail TEXT,
    version BIGINT NOT NULL,
    idempotency_key VARCHAR(512) UNIQUE,
    payload_hash VARCHAR(64),
    deadline BIGINT,
    cancel_requested BOOLEAN NOT NULL,
    exit_code INTEGER
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- claims: the oldest PENDING tasks, and the RUNNING tasks whose lease expired first (partial indexes stay small)
CREATE INDEX tasks_pending ON tasks (created_at, id) WHERE status = 'PENDING';
CREATE INDEX tasks_leased ON tasks (lease_expires_at) WHERE status = 'RUNNING';
-- listings (newest first, optionally by status) and the retention purge
CREATE INDEX tasks_by_creation ON tasks (created_at, id);
CREATE INDEX tasks_by_status ON tasks (status, created_at, id);
CREATE INDEX tasks_ended ON tasks (completed_at) WHERE status IN ('COMPLETED', 'FAILED', 'CANCELED');

-- the log of one run, in chunks as appended; size is the offset of the next chunk
CREATE TABLE task_logs (
    task_id VARCHAR(64) NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    run_id VARCHAR(64) NOT NULL,
    size BIGINT NOT NULL,
    closed BOOLEAN NOT NULL,
    PRIMARY KEY (task_id, run_id)
);

CREATE TABLE log_chunks (
    task_id VARCHAR(64) NOT NULL,
    run_id VARCHAR(64) NOT NULL,
    start_offset BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (task_id, run_id, start_offset),
    FOREIGN KEY (task_id, run_id) REFERENCES task_logs (task_id, run_id) ON DELETE CASCADE
);

-- artifacts: one row each (errors have no content), the content in chunks of at most 1 MiB
CREATE TABLE artifacts (
    task_id VARCHAR(64) NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    run_id VARCHAR(64) NOT NULL,
    name VARCHAR(1024) NOT NULL,
    size BIGINT NOT NULL,
    error_reason VARCHAR(128),
    error_message TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (task_id, run_id, name)
);

CREATE TABLE artifact_chunks (
    task_id VARCHAR(64) NOT NULL,
    run_id VARCHAR(64) NOT NULL,
    name VARCHAR(1024) NOT NULL,
    seq INTEGER NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (task_id, run_id, name, seq),
    FOREIGN KEY (task_id, run_id, name) REFERENCES artifacts (task_id, run_id, name) ON DELETE CASCADE
);
