package assemble

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// UUID is an RFC 4122 UUID in big-endian byte order.
type UUID [16]byte

// DeriveUUID returns a version 4 (random-looking) UUID derived from seed and
// label: the same recipe always gets the same filesystem and partition IDs,
// and different labels never collide in practice.
func DeriveUUID(seed [32]byte, label string) UUID {
	h := sha256.Sum256(append(seed[:], "ingot/uuid/"+label...))
	var u UUID
	copy(u[:], h[:16])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

func (u UUID) String() string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func parseUUID(s string) (UUID, error) {
	var u UUID
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != 16 || len(s) != 36 {
		return u, fmt.Errorf("uuid %q: want 8-4-4-4-12 hex digits", s)
	}
	copy(u[:], b)
	return u, nil
}

// fatSerial derives a FAT volume serial from seed: "ABCD-1234" in fstab and
// GRUB, 0xABCD1234 for mkfs.vfat -i.
func fatSerial(seed [32]byte) (id string, hexID string) {
	u := DeriveUUID(seed, "esp")
	hexID = strings.ToUpper(hex.EncodeToString(u[:4]))
	return hexID[:4] + "-" + hexID[4:], hexID
}
