-- +goose Up
-- Escrowed LUKS recovery passphrases, sealed by the server (server/secret)
-- with the host and volume as additional data; the latest per volume.
CREATE TABLE recovery_keys (
    host        TEXT NOT NULL,
    volume      TEXT NOT NULL,
    device      TEXT NOT NULL DEFAULT '',
    deployment  TEXT NOT NULL DEFAULT '',
    sealed      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (host, volume)
);

-- +goose Down
DROP TABLE recovery_keys;
