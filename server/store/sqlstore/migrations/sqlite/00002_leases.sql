-- +goose Up
-- DHCP leases of full-DHCP mode: one per MAC.
CREATE TABLE leases (
    mac     TEXT PRIMARY KEY,
    addr    TEXT NOT NULL,
    expires BIGINT NOT NULL
);
CREATE UNIQUE INDEX leases_addr ON leases (addr);

-- +goose Down
DROP TABLE leases;
