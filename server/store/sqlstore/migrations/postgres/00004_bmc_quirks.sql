-- +goose Up
-- What the server knows about each BMC, keyed by its endpoint: written by
-- `ingot bmc probe` and by the Redfish calls of deployments, read by every
-- later call to that BMC. quirks is redfish.Quirks as JSON.
CREATE TABLE bmc_quirks (
    endpoint   TEXT PRIMARY KEY,
    vendor     TEXT NOT NULL DEFAULT '',
    model      TEXT NOT NULL DEFAULT '',
    firmware   TEXT NOT NULL DEFAULT '',
    quirks     TEXT NOT NULL,
    findings   TEXT NOT NULL DEFAULT '[]',
    source     TEXT NOT NULL,
    probed_at  BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
CREATE INDEX bmc_quirks_kind ON bmc_quirks (vendor, model, firmware);

-- +goose Down
DROP TABLE bmc_quirks;
