package testimage

import (
	"context"
	"sync"

	"ingot.dev/ingot/image/chunker"
	"ingot.dev/ingot/image/manifest"
)

var chunkerOptions = chunker.Options{Level: 1}

// MemSink is a chunker.Sink in memory that keeps only compressed sizes.
type MemSink struct {
	mu    sync.Mutex
	sizes map[manifest.Hash]int64
}

// Has reports whether h was put.
func (s *MemSink) Has(_ context.Context, h manifest.Hash) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sizes[h]
	return ok, nil
}

// Put records h.
func (s *MemSink) Put(_ context.Context, h manifest.Hash, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sizes == nil {
		s.sizes = map[manifest.Hash]int64{}
	}
	s.sizes[h] = int64(len(b))
	return nil
}

// CompressedSize answers for chunks already put.
func (s *MemSink) CompressedSize(_ context.Context, h manifest.Hash) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sizes[h], nil
}
