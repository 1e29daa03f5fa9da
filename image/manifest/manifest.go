// Package manifest defines Ingot's image format contract: the versioned,
// canonically encoded and ed25519-signed manifest that the server produces
// and the installer verifies before it writes a single byte.
package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Version is the only manifest version this package reads and writes.
const Version = 1

// DefaultChunkSize is the size of every chunk but a payload's last one.
const DefaultChunkSize = 4 << 20

// Limits on what a manifest may declare; they bound the work a parser does.
const (
	MaxChunkSize = 64 << 20
	MaxPayloads  = 64
	MaxSize      = 1 << 50
)

// ErrUnknownVersion is returned for a manifest whose version this code does not know.
var ErrUnknownVersion = errors.New("unknown manifest version")

// Kind says what a payload's bytes are.
type Kind string

// Payload kinds.
const (
	KindRawDisk Kind = "raw-disk" // a whole disk: partition table and partitions
	KindFSImage Kind = "fs-image" // one filesystem, written into a partition
	// KindConfigTar is a host image's config layer: a tar of the host's
	// files, unpacked over the installed root after the other payloads.
	KindConfigTar Kind = "config-tar"
)

// Manifest describes one image: what it is and how to rebuild its payloads from chunks.
type Manifest struct {
	Version    int       `json:"version"`
	Name       string    `json:"name"`
	Arch       string    `json:"arch"`
	Firmware   string    `json:"firmware"`
	OS         OS        `json:"os,omitzero"`
	Created    time.Time `json:"created"`
	Cmdline    string    `json:"cmdline,omitempty"`
	Bootloader string    `json:"bootloader,omitempty"`
	Payloads   []Payload `json:"payloads"`
}

// OS identifies the operating system inside the image, as in os-release(5).
type OS struct {
	ID      string `json:"id,omitempty"`
	Version string `json:"version,omitempty"`
}

// Payload is one byte stream of the image (a disk, or one filesystem).
type Payload struct {
	Role      string  `json:"role"`
	Kind      Kind    `json:"kind"`
	FSType    string  `json:"fs_type,omitempty"`
	Size      int64   `json:"size"`
	ChunkSize int64   `json:"chunk_size"`
	Chunks    []Chunk `json:"chunks"`
}

// Chunk is one stored chunk of a payload. Chunks absent from the table are all zero.
type Chunk struct {
	Index          int64 `json:"index"`
	Hash           Hash  `json:"sha256"`
	CompressedSize int64 `json:"compressed_size"`
}

// Hash is the sha256 of a chunk's uncompressed bytes.
type Hash [sha256.Size]byte

// Sum returns the Hash of b.
func Sum(b []byte) Hash { return sha256.Sum256(b) }

// ParseHash parses 64 lowercase hex characters.
func ParseHash(s string) (Hash, error) {
	var d Hash
	if len(s) != 2*len(d) {
		return d, fmt.Errorf("digest %q: want %d hex characters", s, 2*len(d))
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return d, fmt.Errorf("digest %q: not lowercase hex", s)
		}
	}
	_, err := hex.Decode(d[:], []byte(s))
	return d, err
}

// String returns the digest as lowercase hex.
func (d Hash) String() string { return hex.EncodeToString(d[:]) }

// MarshalText encodes the digest as lowercase hex.
func (d Hash) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes lowercase hex.
func (d *Hash) UnmarshalText(b []byte) error {
	v, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Offset is where chunk c starts in its payload.
func (p Payload) Offset(c Chunk) int64 { return c.Index * p.ChunkSize }

// Len is the number of logical bytes chunk c covers (the last chunk may be short).
func (p Payload) Len(c Chunk) int64 { return min(p.ChunkSize, p.Size-p.Offset(c)) }

// NumChunks is the number of chunk slots in the payload, stored or zero.
func (p Payload) NumChunks() int64 {
	if p.ChunkSize <= 0 {
		return 0
	}
	return (p.Size + p.ChunkSize - 1) / p.ChunkSize
}

// StoredBytes is the sum of the compressed sizes of the payload's chunks.
func (p Payload) StoredBytes() int64 {
	var n int64
	for _, c := range p.Chunks {
		n += c.CompressedSize
	}
	return n
}

// Size is the total logical size of all payloads.
func (m *Manifest) Size() int64 {
	var n int64
	for _, p := range m.Payloads {
		n += p.Size
	}
	return n
}

// Hashes returns the distinct chunk digests the manifest references.
func (m *Manifest) Hashes() []Hash {
	seen := map[Hash]bool{}
	var out []Hash
	for _, p := range m.Payloads {
		for _, c := range p.Chunks {
			if !seen[c.Hash] {
				seen[c.Hash] = true
				out = append(out, c.Hash)
			}
		}
	}
	return out
}
