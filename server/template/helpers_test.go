package template

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"ingot.dev/ingot/api"
)

// want is an expected FieldError: its exact path and a part of its message.
type want struct {
	path string
	msg  string
}

// checkCase is one Check table entry.
type checkCase struct {
	name   string
	tmpl   api.Template
	values api.HostValues
	want   []want
}

func runCheckCases(t *testing.T, tests []checkCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertErrors(t, Check(tt.tmpl, tt.values), tt.want)
		})
	}
}

func assertErrors(t *testing.T, got []FieldError, wants []want) {
	t.Helper()
	var gotPaths, wantPaths []string
	for _, e := range got {
		gotPaths = append(gotPaths, e.Path)
	}
	for _, w := range wants {
		wantPaths = append(wantPaths, w.path)
	}
	if diff := cmp.Diff(wantPaths, gotPaths); diff != "" {
		t.Fatalf("error paths mismatch (-want +got):\n%s\nerrors: %q", diff, got)
	}
	for i, w := range wants {
		if !strings.Contains(got[i].Message, w.msg) {
			t.Errorf("error %d at %s: message %q does not contain %q", i, got[i].Path, got[i].Message, w.msg)
		}
	}
}
