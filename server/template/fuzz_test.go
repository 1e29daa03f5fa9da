package template

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"ingot.dev/ingot/api"
)

var fuzzSeeds = [][2]string{
	{`{}`, `{}`},
	{`{"hostname":{"allowed":true,"pattern":"web-[0-9]+"}}`, `{"hostname":"web-1"}`},
	{`{"hostname":{"allowed":true,"required":true,"pattern":"a)|(b"}}`, `{"hostname":"Web_1."}`},
	{`{"ssh_keys":{"allowed":true,"min":1,"max":1,"pattern":".*"}}`, `{"ssh_keys":["` + keyEd25519 + `","` + keyP256 + `","x"]}`},
	{`{"addresses":{"allowed":true,"max":1,"networks":["10.0.0.0/16"]}}`,
		`{"addresses":[{"address":"10.0.0.5/24","gateway":"10.0.0.1","dns":["10.0.0.53"]},{"address":"fe80::1/64","gateway":"fe80::2%eth0"}]}`},
	{`{"files":{"allowed":true,"max_bytes":4,"paths":["/etc/*","["]}}`,
		`{"files":[{"path":"/etc/motd","content":"hello","mode":511},{"path":"/../x"}]}`},
	{`{"password_hash":{"allowed":true,"required":true}}`, `{"password_hash":"` + hashYescrypt + `"}`},
}

func FuzzCheck(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, tmplJSON, valuesJSON string) {
		var tmpl api.Template
		var v api.HostValues
		if json.Unmarshal([]byte(tmplJSON), &tmpl) != nil || json.Unmarshal([]byte(valuesJSON), &v) != nil {
			return
		}
		errs := Check(tmpl, v)
		if !slices.IsSortedFunc(errs, func(a, b FieldError) int { return comparePaths(a.Path, b.Path) }) {
			t.Fatalf("errors not sorted: %q", errs)
		}
		for _, e := range errs {
			if !strings.HasPrefix(e.Path, "values.") || e.Message == "" {
				t.Fatalf("malformed error %#v", e)
			}
		}
		nothingRequired := !tmpl.Hostname.Required && !tmpl.PasswordHash.Required && tmpl.SSHKeys.Min <= 0
		if errs := Check(tmpl, api.HostValues{}); nothingRequired && len(errs) != 0 {
			t.Fatalf("empty values fail a template with nothing required: %q", errs)
		}
	})
}

func FuzzValidateTemplate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s[0])
	}
	f.Fuzz(func(t *testing.T, tmplJSON string) {
		var tmpl api.Template
		if json.Unmarshal([]byte(tmplJSON), &tmpl) != nil {
			return
		}
		errs := ValidateTemplate(tmpl)
		for _, e := range errs {
			if !strings.HasPrefix(e.Path, "template.") || e.Message == "" {
				t.Fatalf("malformed error %#v", e)
			}
		}
		if len(errs) > 0 {
			return
		}
		// A valid template can always be satisfied by empty values unless
		// it requires something, and never breaks Check.
		got := Check(tmpl, api.HostValues{})
		for _, e := range got {
			if !strings.Contains(e.Message, "require") {
				t.Fatalf("valid template rejects empty values for a reason other than a requirement: %q", got)
			}
		}
	})
}
