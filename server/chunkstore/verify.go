package chunkstore

import (
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"

	"ingot.dev/ingot/image/manifest"
)

// maxCompressed bounds the compressed frame Put accepts.
var maxCompressed = manifest.CompressBound(manifest.MaxChunkSize)

var decoderPool = sync.Pool{New: func() any {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(manifest.MaxChunkSize))
	if err != nil {
		panic(err) // only invalid options fail
	}
	return d
}}

// readVerified reads a whole compressed frame from r and checks it against h.
func readVerified(r io.Reader, h manifest.Hash) ([]byte, error) {
	frame, err := io.ReadAll(io.LimitReader(r, maxCompressed+1))
	if err != nil {
		return nil, fmt.Errorf("reading chunk %s: %w", h, err)
	}
	if int64(len(frame)) > maxCompressed {
		return nil, fmt.Errorf("chunk %s: more than %d compressed bytes: %w", h, maxCompressed, ErrTooLarge)
	}
	if err := Verify(frame, h); err != nil {
		return nil, err
	}
	return frame, nil
}

// Verify checks that frame decompresses to bytes whose sha256 is h.
func Verify(frame []byte, h manifest.Hash) error {
	dec := decoderPool.Get().(*zstd.Decoder)
	defer decoderPool.Put(dec)
	raw, err := dec.DecodeAll(frame, nil)
	if err != nil {
		return fmt.Errorf("chunk %s: decompressing: %v: %w", h, err, ErrHashMismatch)
	}
	if got := manifest.Sum(raw); got != h {
		return fmt.Errorf("chunk %s: content hashes to %s: %w", h, got, ErrHashMismatch)
	}
	return nil
}
