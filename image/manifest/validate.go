package manifest

import (
	"errors"
	"fmt"
)

// Validate reports the first way m breaks the format's rules.
func (m *Manifest) Validate() error {
	if m.Version != Version {
		return fmt.Errorf("manifest version %d (this build reads %d): %w", m.Version, Version, ErrUnknownVersion)
	}
	if m.Name == "" || len(m.Name) > 128 {
		return errors.New("manifest name: want 1 to 128 bytes")
	}
	if len(m.Payloads) == 0 || len(m.Payloads) > MaxPayloads {
		return fmt.Errorf("manifest %q: want 1 to %d payloads, have %d", m.Name, MaxPayloads, len(m.Payloads))
	}
	for i, p := range m.Payloads {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("manifest %q payload %d: %w", m.Name, i, err)
		}
	}
	return nil
}

// Validate reports the first way p breaks the format's rules.
func (p *Payload) Validate() error {
	if p.Role == "" {
		return errors.New("empty role")
	}
	if p.Kind != KindRawDisk && p.Kind != KindFSImage && p.Kind != KindConfigTar {
		return fmt.Errorf("unknown kind %q", p.Kind)
	}
	if p.Size < 0 || p.Size > MaxSize {
		return fmt.Errorf("size %d out of range", p.Size)
	}
	if p.ChunkSize < 4096 || p.ChunkSize > MaxChunkSize || p.ChunkSize%4096 != 0 {
		return fmt.Errorf("chunk size %d: want a multiple of 4096 up to %d", p.ChunkSize, MaxChunkSize)
	}
	limit := CompressBound(p.ChunkSize)
	next := int64(0)
	for _, c := range p.Chunks {
		if c.Index < next || c.Index >= p.NumChunks() {
			return fmt.Errorf("chunk index %d: out of order or beyond size", c.Index)
		}
		if c.CompressedSize <= 0 || c.CompressedSize > limit {
			return fmt.Errorf("chunk %d: compressed size %d out of range", c.Index, c.CompressedSize)
		}
		next = c.Index + 1
	}
	return nil
}

// CompressBound is the largest compressed size a chunk of n bytes may have.
func CompressBound(n int64) int64 { return n + n/128 + 4096 }
