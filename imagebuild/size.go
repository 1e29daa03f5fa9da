package imagebuild

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Size is a byte count. In recipes it is a number or a string with a binary
// suffix: "512MiB", "2GiB" (K, M, G and T mean the same as KiB...TiB).
type Size int64

// Sizes.
const (
	KiB Size = 1 << (10 * (iota + 1))
	MiB
	GiB
	TiB
)

var suffixes = []struct {
	s string
	n Size
}{{"KiB", KiB}, {"MiB", MiB}, {"GiB", GiB}, {"TiB", TiB}, {"K", KiB}, {"M", MiB}, {"G", GiB}, {"T", TiB}, {"B", 1}}

// ParseSize parses "1073741824", "1024MiB" or "1G".
func ParseSize(s string) (Size, error) {
	s = strings.TrimSpace(s)
	mult := Size(1)
	for _, suf := range suffixes {
		if strings.HasSuffix(s, suf.s) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, suf.s)), suf.n
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > int64(1<<50)/int64(mult) {
		return 0, fmt.Errorf("size %q: want a non-negative whole number with an optional KiB, MiB, GiB or TiB suffix", s)
	}
	return Size(n) * mult, nil
}

// UnmarshalJSON accepts a number of bytes or a string for ParseSize.
func (z *Size) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("size %s: want a number or a string such as \"2GiB\"", b)
		}
		s = strconv.FormatInt(n, 10)
	}
	v, err := ParseSize(s)
	*z = v
	return err
}

// MarshalJSON writes the number of bytes.
func (z Size) MarshalJSON() ([]byte, error) { return []byte(strconv.FormatInt(int64(z), 10)), nil }

// String formats z with the largest exact binary suffix.
func (z Size) String() string {
	for i := 3; i >= 0; i-- {
		if n := suffixes[i].n; z != 0 && z%n == 0 {
			return strconv.FormatInt(int64(z/n), 10) + suffixes[i].s
		}
	}
	return strconv.FormatInt(int64(z), 10)
}
