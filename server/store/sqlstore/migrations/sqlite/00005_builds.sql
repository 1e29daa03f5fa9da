-- +goose Up
-- Image build jobs. The job's fields live in columns; owner and alive_at
-- say which server runs it and when it last proved to be alive.
CREATE TABLE builds (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    backend     TEXT NOT NULL,
    recipe      TEXT NOT NULL,
    image_set   TEXT NOT NULL,
    secure_boot INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL,
    phase       TEXT NOT NULL,
    percent     INTEGER NOT NULL DEFAULT -1,
    error       TEXT NOT NULL DEFAULT '',
    image       TEXT NOT NULL DEFAULT '',
    cancel      INTEGER NOT NULL DEFAULT 0,
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    started_at  BIGINT NOT NULL DEFAULT 0,
    finished_at BIGINT NOT NULL DEFAULT 0,
    owner       TEXT NOT NULL DEFAULT '',
    alive_at    BIGINT NOT NULL DEFAULT 0,
    log_seq     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX builds_state ON builds (state, id);

-- build_logs keeps the newest lines of each build's log; seq counts per
-- build (builds.log_seq), so a reader following after a seq misses none.
CREATE TABLE build_logs (
    build TEXT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
    seq   BIGINT NOT NULL,
    time  BIGINT NOT NULL,
    line  TEXT NOT NULL,
    PRIMARY KEY (build, seq)
);

-- +goose Down
DROP TABLE build_logs;
DROP TABLE builds;
