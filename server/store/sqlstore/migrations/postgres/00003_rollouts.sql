-- +goose Up
-- Rollouts: the plan is kept as JSON; progress is derived from the
-- deployments each rollout created.
CREATE TABLE rollouts (
    id          TEXT PRIMARY KEY,
    hostgroup   TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    finished_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX rollouts_active ON rollouts (finished_at);

-- +goose Down
DROP TABLE rollouts;
