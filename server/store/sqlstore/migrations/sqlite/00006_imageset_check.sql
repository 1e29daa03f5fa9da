-- +goose Up
-- The outcome of the last check of an image set (empty status: not
-- checked since it last changed).
ALTER TABLE image_sets ADD COLUMN check_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE image_sets ADD COLUMN check_status TEXT NOT NULL DEFAULT '';
ALTER TABLE image_sets ADD COLUMN check_error TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE image_sets DROP COLUMN check_error;
ALTER TABLE image_sets DROP COLUMN check_status;
ALTER TABLE image_sets DROP COLUMN check_at;
