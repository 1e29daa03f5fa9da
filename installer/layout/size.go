package layout

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Size is a number of bytes. In YAML and JSON it is a number of bytes or a
// string with a binary (KiB, MiB, GiB, TiB) or decimal (KB, MB, GB, TB)
// unit, or "rest" for what is left.
type Size int64

// Rest is the size "whatever is left".
const Rest Size = -1

// Units.
const (
	KiB Size = 1 << (10 * (iota + 1))
	MiB
	GiB
	TiB
)

var units = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

// ParseSize parses "512MiB", "2G", "1000000" or "rest".
func ParseSize(s string) (Size, error) {
	s = strings.TrimSpace(s)
	if s == "rest" {
		return Rest, nil
	}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: want a number of bytes with an optional unit (MiB, GiB, ...) or \"rest\"", s)
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q is too big", s)
	}
	return Size(n * mult), nil
}

// String renders s with the largest binary unit that divides it.
func (s Size) String() string {
	if s == Rest {
		return "rest"
	}
	for _, u := range []struct {
		suffix string
		mult   Size
	}{{"TiB", TiB}, {"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB}} {
		if s != 0 && s%u.mult == 0 {
			return fmt.Sprintf("%d%s", s/u.mult, u.suffix)
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// MarshalJSON writes s as a string with a unit.
func (s Size) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a number of bytes or a string ParseSize accepts.
func (s *Size) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		var n int64
		if err := json.Unmarshal(b, &n); err != nil || n < 0 {
			return fmt.Errorf("size %s: want bytes or a string like \"512MiB\"", b)
		}
		*s = Size(n)
		return nil
	}
	v, err := ParseSize(str)
	if err != nil {
		return err
	}
	*s = v
	return nil
}
