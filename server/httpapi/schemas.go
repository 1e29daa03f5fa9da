package httpapi

import (
	"net/netip"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
)

// Text-encoded wire types get schemas with patterns, so a malformed value
// is reported at its own path (body.macs[1]) before decoding.
type (
	macSchema    string
	prefixSchema string
)

func (macSchema) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: "string", Pattern: `^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$`,
		PatternDescription: "a MAC address like 52:54:00:12:34:56", Examples: []any{"52:54:00:12:34:56"}}
}

func (prefixSchema) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: "string", Pattern: `^[0-9a-fA-F:.]+/[0-9]{1,3}$`,
		PatternDescription: "an address with prefix length like 10.0.0.5/24", Examples: []any{"10.0.0.5/24"}}
}

func registerSchemas(r huma.Registry) {
	r.RegisterTypeAlias(reflect.TypeFor[api.MAC](), reflect.TypeFor[macSchema]())
	r.RegisterTypeAlias(reflect.TypeFor[netip.Prefix](), reflect.TypeFor[prefixSchema]())
}
