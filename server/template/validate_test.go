package template

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"ingot.dev/ingot/api"
)

var validateCases = []struct {
	name string
	tmpl api.Template
	want []want
}{
	{name: "empty locks everything"},
	{name: "full valid", tmpl: api.Template{
		Hostname:     api.StringRule{Allowed: true, Required: true, Pattern: `web-[0-9]+`},
		SSHKeys:      api.ListRule{Allowed: true, Min: 1, Max: 4, Pattern: `.*@corp`},
		Addresses:    api.AddressRule{Allowed: true, Max: 2, Networks: []netip.Prefix{pfx("10.0.0.0/16"), pfx("fd00::/48")}},
		Files:        api.FileRule{Allowed: true, Max: 3, Paths: []string{"/etc/motd", "/etc/ssh/*.d/[0-9]*.conf"}, MaxBytes: 1 << 20},
		PasswordHash: api.StringRule{Allowed: true},
	}},
	{name: "bad hostname pattern", tmpl: api.Template{Hostname: api.StringRule{Allowed: true, Pattern: `web-(`}},
		want: []want{{"template.hostname.pattern", "not a valid RE2"}}},
	{name: "pattern broken only without anchoring", tmpl: api.Template{Hostname: api.StringRule{Allowed: true, Pattern: `a)|(b`}},
		want: []want{{"template.hostname.pattern", "not a valid RE2"}}},
	{name: "perl lookahead", tmpl: api.Template{SSHKeys: api.ListRule{Allowed: true, Pattern: `(?=x)`}},
		want: []want{{"template.ssh_keys.pattern", "not a valid RE2"}}},
	{name: "pattern too long", tmpl: api.Template{PasswordHash: api.StringRule{Allowed: true, Pattern: strings.Repeat("a", 513)}},
		want: []want{{"template.password_hash.pattern", "at most 512"}}},
	{name: "required but locked", tmpl: api.Template{Hostname: api.StringRule{Required: true}, PasswordHash: api.StringRule{Required: true}},
		want: []want{{"template.hostname.required", "must also be allowed"}, {"template.password_hash.required", "must also be allowed"}}},
	{name: "max below min", tmpl: api.Template{SSHKeys: api.ListRule{Allowed: true, Min: 3, Max: 2}},
		want: []want{{"template.ssh_keys.max", "less than min 3"}}},
	{name: "max equal min", tmpl: api.Template{SSHKeys: api.ListRule{Allowed: true, Min: 2, Max: 2}}},
	{name: "min without max", tmpl: api.Template{SSHKeys: api.ListRule{Allowed: true, Min: 2}}},
	{name: "negative counts", tmpl: api.Template{
		SSHKeys:   api.ListRule{Allowed: true, Min: -1, Max: -1},
		Addresses: api.AddressRule{Max: -1},
		Files:     api.FileRule{Max: -1, MaxBytes: -1},
	}, want: []want{
		{"template.addresses.max", "negative"},
		{"template.files.max", "negative"},
		{"template.files.max_bytes", "negative"},
		{"template.ssh_keys.max", "negative"},
		{"template.ssh_keys.min", "negative"},
	}},
	{name: "min over list limit", tmpl: api.Template{SSHKeys: api.ListRule{Allowed: true, Min: 65}},
		want: []want{{"template.ssh_keys.min", "more than the 64"}}},
	{name: "min on locked list", tmpl: api.Template{SSHKeys: api.ListRule{Min: 1}},
		want: []want{{"template.ssh_keys.min", "must also be allowed"}}},
	{name: "networks", tmpl: api.Template{Addresses: api.AddressRule{Allowed: true,
		Networks: []netip.Prefix{pfx("10.0.0.0/24"), {}, pfx("10.0.1.5/24"), pfx("10.0.0.0/24")}}},
		want: []want{
			{"template.addresses.networks[1]", "missing or invalid"},
			{"template.addresses.networks[2]", "did you mean 10.0.1.0/24"},
			{"template.addresses.networks[3]", "the same network as template.addresses.networks[0]"},
		}},
	{name: "max bytes over API limit", tmpl: api.Template{Files: api.FileRule{Allowed: true, MaxBytes: 1<<20 + 1}},
		want: []want{{"template.files.max_bytes", "more than the 1048576 bytes"}}},
	{name: "file globs", tmpl: api.Template{Files: api.FileRule{Allowed: true,
		Paths: []string{"/etc/[", "etc/*", "/etc/../*", "/etc//x", "/etc/*/", "/etc/x\x00"}}},
		want: []want{
			{"template.files.paths[0]", "not a valid glob"},
			{"template.files.paths[1]", "not absolute"},
			{"template.files.paths[2]", "contains '..'"},
			{"template.files.paths[3]", "did you mean /etc/x"},
			{"template.files.paths[4]", "did you mean /etc/*"},
			{"template.files.paths[5]", "control character"},
		}},
}

func TestValidateTemplate(t *testing.T) {
	for _, tt := range validateCases {
		t.Run(tt.name, func(t *testing.T) {
			assertErrors(t, ValidateTemplate(tt.tmpl), tt.want)
		})
	}
}

func TestComparePaths(t *testing.T) {
	in := []FieldError{
		{Path: "values.ssh_keys[10]"}, {Path: "values.hostname"}, {Path: "values.ssh_keys[2]"},
		{Path: "values.addresses[1].gateway"}, {Path: "values.addresses[0].address"}, {Path: "values.ssh_keys"},
		{Path: "values.ssh_keys[02]"}, {Path: "values.addresses[10].address"}, {Path: "values.addresses[9].dns[0]"},
	}
	c := collector{errs: in}
	var got []string
	for _, e := range c.sorted() {
		got = append(got, e.Path)
	}
	want := []string{
		"values.addresses[0].address", "values.addresses[1].gateway", "values.addresses[9].dns[0]",
		"values.addresses[10].address", "values.hostname", "values.ssh_keys", "values.ssh_keys[2]",
		"values.ssh_keys[02]", "values.ssh_keys[10]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sorted paths mismatch (-want +got):\n%s", diff)
	}
}
