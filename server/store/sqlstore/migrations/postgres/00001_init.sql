-- Ingot's state schema. Keep in step with migrations/sqlite: the two
-- differ only in how sequence numbers are generated.

-- +goose Up
CREATE TABLE images (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    arch       TEXT NOT NULL,
    firmware   TEXT NOT NULL,
    os         TEXT NOT NULL DEFAULT '',
    size       BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE image_sets (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    variants    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- image_set_images lets the database refuse deleting an image a set uses.
CREATE TABLE image_set_images (
    image_set TEXT NOT NULL REFERENCES image_sets (name) ON DELETE CASCADE,
    image     TEXT NOT NULL REFERENCES images (id),
    PRIMARY KEY (image_set, image)
);
CREATE INDEX image_set_images_image ON image_set_images (image);

CREATE TABLE hostgroups (
    name           TEXT PRIMARY KEY,
    description    TEXT NOT NULL DEFAULT '',
    image_set      TEXT REFERENCES image_sets (name),
    layout         TEXT NOT NULL DEFAULT '',
    encryption     TEXT NOT NULL DEFAULT '',
    boot_path      TEXT NOT NULL DEFAULT '',
    first_boot     TEXT NOT NULL,
    template       TEXT NOT NULL,
    max_concurrent INTEGER NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX hostgroups_image_set ON hostgroups (image_set);

CREATE TABLE hosts (
    name        TEXT PRIMARY KEY,
    serial      TEXT NOT NULL DEFAULT '',
    system_uuid TEXT NOT NULL DEFAULT '',
    bmc         TEXT NOT NULL DEFAULT '',
    hostgroup   TEXT REFERENCES hostgroups (name),
    host_values TEXT NOT NULL,
    inventory   TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL DEFAULT '',
    boot        TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX hosts_hostgroup ON hosts (hostgroup, name);
CREATE INDEX hosts_state ON hosts (state, name);

CREATE TABLE host_macs (
    mac  TEXT PRIMARY KEY,
    host TEXT NOT NULL REFERENCES hosts (name) ON DELETE CASCADE,
    idx  INTEGER NOT NULL
);
CREATE INDEX host_macs_host ON host_macs (host, idx);

CREATE TABLE credentials (
    name       TEXT PRIMARY KEY,
    username   TEXT NOT NULL,
    sealed     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    host       TEXT NOT NULL DEFAULT '',
    expires_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    hash       TEXT NOT NULL UNIQUE
);

CREATE TABLE audit (
    seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time     BIGINT NOT NULL,
    actor    TEXT NOT NULL,
    method   TEXT NOT NULL,
    path     TEXT NOT NULL,
    status   INTEGER NOT NULL,
    resource TEXT NOT NULL DEFAULT ''
);

CREATE TABLE deployments (
    id            TEXT PRIMARY KEY,
    host          TEXT NOT NULL,
    hostgroup     TEXT NOT NULL DEFAULT '',
    image_set     TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL,
    steps         TEXT NOT NULL,
    error         TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    started_at    BIGINT NOT NULL DEFAULT 0,
    finished_at   BIGINT NOT NULL DEFAULT 0,
    deadline      BIGINT NOT NULL DEFAULT 0,
    cancel        INTEGER NOT NULL DEFAULT 0,
    lease_owner   TEXT NOT NULL DEFAULT '',
    lease_until   BIGINT NOT NULL DEFAULT 0,
    wake_at       BIGINT,
    wakes         BIGINT NOT NULL DEFAULT 0,
    claimed_wakes BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX deployments_runnable ON deployments (state, wake_at);
CREATE INDEX deployments_host ON deployments (host, id);
CREATE INDEX deployments_hostgroup ON deployments (hostgroup, id);
CREATE INDEX deployments_state_id ON deployments (state, id);
CREATE UNIQUE INDEX deployments_one_active ON deployments (host)
    WHERE state NOT IN ('succeeded', 'failed', 'cancelled');

CREATE TABLE events (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deployment TEXT NOT NULL REFERENCES deployments (id),
    time       BIGINT NOT NULL,
    step       INTEGER NOT NULL,
    type       TEXT NOT NULL,
    message    TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_deployment ON events (deployment, seq);

CREATE TABLE signals (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deployment TEXT NOT NULL REFERENCES deployments (id),
    name       TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '',
    time       BIGINT NOT NULL
);
CREATE INDEX signals_deployment ON signals (deployment, seq);

-- +goose Down
DROP TABLE signals;
DROP TABLE events;
DROP TABLE deployments;
DROP TABLE audit;
DROP TABLE tokens;
DROP TABLE credentials;
DROP TABLE host_macs;
DROP TABLE hosts;
DROP TABLE hostgroups;
DROP TABLE image_set_images;
DROP TABLE image_sets;
DROP TABLE images;
