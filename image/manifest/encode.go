package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// maxDocument bounds the bytes Parse and Verify accept.
const maxDocument = 64 << 20

// Canonical returns the canonical encoding of m: the JSON of its fields with
// object keys sorted by byte value, no insignificant whitespace, no HTML
// escaping, integers without fraction or exponent, and Created in UTC with
// whole seconds. Equal manifests always encode to equal bytes.
func Canonical(m *Manifest) ([]byte, error) {
	c := *m
	c.Created = c.Created.UTC().Truncate(time.Second)
	raw, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("encoding manifest: %w", err)
	}
	return canonicalJSON(raw)
}

// canonicalJSON re-encodes any JSON document with sorted keys and no whitespace.
func canonicalJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonicalizing: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // maps encode with sorted keys
		return nil, fmt.Errorf("canonicalizing: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Parse decodes and validates an unsigned manifest, such as the body an
// importer posts to the server. Unknown fields and unknown versions are refused.
func Parse(data []byte) (*Manifest, error) {
	if len(data) > maxDocument {
		return nil, fmt.Errorf("manifest: %d bytes exceeds the %d byte limit", len(data), maxDocument)
	}
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("decoding manifest: %w", err)
	}
	if head.Version == nil || *head.Version != Version {
		v := "none"
		if head.Version != nil {
			v = fmt.Sprint(*head.Version)
		}
		return nil, fmt.Errorf("manifest version %s (this build reads %d): %w", v, Version, ErrUnknownVersion)
	}
	var m Manifest
	if err := decodeStrict(data, &m); err != nil {
		return nil, fmt.Errorf("decoding manifest: %w", err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after JSON document")
	}
	return nil
}
