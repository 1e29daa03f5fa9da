package template

import (
	"strings"
	"testing"

	"ingot.dev/ingot/api"
)

var hostAllowed = api.Template{Hostname: api.StringRule{Allowed: true}}
var hostRequired = api.Template{Hostname: api.StringRule{Allowed: true, Required: true}}
var hostPattern = api.Template{Hostname: api.StringRule{Allowed: true, Pattern: `web-[0-9]+`}}
var hostBadPattern = api.Template{Hostname: api.StringRule{Allowed: true, Pattern: `a)|(b`}}
var label63 = strings.Repeat("a", 63)
var hostnameCases = []checkCase{
	{name: "nothing set, nothing allowed", tmpl: api.Template{}},
	{name: "locked", values: api.HostValues{Hostname: "web-1"},
		want: []want{{"values.hostname", "locked by the hostgroup template: the hostgroup must set template.hostname.allowed"}}},
	{name: "allowed", tmpl: hostAllowed, values: api.HostValues{Hostname: "web-1.dc1.example.com"}},
	{name: "required and set", tmpl: hostRequired, values: api.HostValues{Hostname: "web-1"}},
	{name: "required and missing", tmpl: hostRequired,
		want: []want{{"values.hostname", "required by the hostgroup template"}}},
	{name: "required but locked and missing", tmpl: api.Template{Hostname: api.StringRule{Required: true}},
		want: []want{{"values.hostname", "required"}}},
	{name: "pattern matches", tmpl: hostPattern, values: api.HostValues{Hostname: "web-12"}},
	{name: "pattern must match whole value suffix", tmpl: hostPattern, values: api.HostValues{Hostname: "web-12x"},
		want: []want{{"values.hostname", `does not match the hostgroup template's hostname.pattern "web-[0-9]+"`}}},
	{name: "pattern must match whole value prefix", tmpl: hostPattern, values: api.HostValues{Hostname: "xweb-12"},
		want: []want{{"values.hostname", "does not match"}}},
	{name: "alternation is anchored as a whole",
		tmpl:   api.Template{Hostname: api.StringRule{Allowed: true, Pattern: `a|b`}},
		values: api.HostValues{Hostname: "ab"},
		want:   []want{{"values.hostname", "does not match"}}},
	{name: "broken pattern reported", tmpl: hostBadPattern, values: api.HostValues{Hostname: "a"},
		want: []want{{"values.hostname", "template.hostname.pattern is not a valid RE2"}}},
	{name: "uppercase", tmpl: hostAllowed, values: api.HostValues{Hostname: "Web-1"},
		want: []want{{"values.hostname", `use lowercase ("web-1")`}}},
	{name: "underscore", tmpl: hostAllowed, values: api.HostValues{Hostname: "web_1"},
		want: []want{{"values.hostname", `'_'`}}},
	{name: "leading hyphen", tmpl: hostAllowed, values: api.HostValues{Hostname: "-web"},
		want: []want{{"values.hostname", "starts or ends with '-'"}}},
	{name: "trailing hyphen in label", tmpl: hostAllowed, values: api.HostValues{Hostname: "web-.example"},
		want: []want{{"values.hostname", "label 1"}}},
	{name: "empty label", tmpl: hostAllowed, values: api.HostValues{Hostname: "web..example"},
		want: []want{{"values.hostname", "label 2 is empty"}}},
	{name: "trailing dot", tmpl: hostAllowed, values: api.HostValues{Hostname: "web."},
		want: []want{{"values.hostname", "is empty"}}},
	{name: "63 character label", tmpl: hostAllowed, values: api.HostValues{Hostname: label63}},
	{name: "64 character label", tmpl: hostAllowed, values: api.HostValues{Hostname: label63 + "a"},
		want: []want{{"values.hostname", "at most 63"}}},
	{name: "253 characters", tmpl: hostAllowed,
		values: api.HostValues{Hostname: strings.Repeat(label63+".", 3) + strings.Repeat("a", 61)}},
	{name: "254 characters", tmpl: hostAllowed,
		values: api.HostValues{Hostname: strings.Repeat(label63+".", 3) + strings.Repeat("a", 62)},
		want:   []want{{"values.hostname", "254 characters, at most 253"}}},
	{name: "pattern cannot widen hostname syntax",
		tmpl:   api.Template{Hostname: api.StringRule{Allowed: true, Pattern: `.*`}},
		values: api.HostValues{Hostname: "a b"},
		want:   []want{{"values.hostname", "only a-z, 0-9 and '-'"}}},
	{name: "invalid and not matching gives both", tmpl: hostPattern, values: api.HostValues{Hostname: "web_1"},
		want: []want{{"values.hostname", "not a valid hostname"}, {"values.hostname", "does not match"}}},
}

func TestCheckHostname(t *testing.T) { runCheckCases(t, hostnameCases) }
