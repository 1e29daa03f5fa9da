-- +goose Up
-- Transient per-host images (server/hostimage): a base image plus the
-- host's config layer, removed after their deployment or on expiry.
CREATE TABLE host_images (
    id         TEXT PRIMARY KEY,
    host       TEXT NOT NULL,
    base       TEXT NOT NULL,
    deployment TEXT NOT NULL DEFAULT '',
    new_bytes  BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE host_images;
