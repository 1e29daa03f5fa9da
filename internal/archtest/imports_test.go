package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const mod = "ingot.dev/ingot/"

type pkg struct {
	ImportPath string
	Imports    []string // direct
	Deps       []string // transitive
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", "ingot.dev/ingot/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			return pkgs
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
}

func under(path string, prefixes ...string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// rule forbids packages under From from depending (transitively, when
// Deep) on packages under Forbidden, except packages under Allowed.
type rule struct {
	name      string
	from      []string
	forbidden []string
	except    []string
	deep      bool
}

func TestImportRules(t *testing.T) {
	rules := []rule{
		{"the installer shares only contracts with the server", []string{mod + "installer", mod + "cmd/ingot-installer"},
			[]string{mod + "server", mod + "netboot", mod + "imagebuild", mod + "redfish"}, nil, true},
		{"redfish imports no other Ingot package", []string{mod + "redfish"}, []string{mod}, []string{mod + "redfish"}, true},
		{"wire types and image format stand alone", []string{mod + "api", mod + "image/manifest"}, []string{mod}, []string{mod + "api", mod + "image/manifest"}, true},
		{"only cmd wires the server together", []string{mod}, []string{mod + "server"}, []string{mod + "cmd", mod + "server", mod + "internal"}, false},
		{"only redfish imports gofish", []string{mod}, []string{"github.com/stmcginnis/gofish"}, []string{mod + "redfish"}, false},
		{"only netboot/dhcp imports the DHCP library", []string{mod}, []string{"github.com/insomniacslk/dhcp"}, []string{mod + "netboot/dhcp"}, false},
		{"only netboot/tftp imports the TFTP library", []string{mod}, []string{"github.com/pin/tftp"}, []string{mod + "netboot/tftp"}, false},
		{"only the store and its test harness import database drivers", []string{mod}, []string{"modernc.org/sqlite", "github.com/jackc/pgx"}, []string{mod + "server/store/sqlstore", mod + "internal/pgtest"}, false},
		{"only the HTTP API imports huma", []string{mod}, []string{"github.com/danielgtaylor/huma"}, []string{mod + "server/httpapi"}, false},
	}
	pkgs := listPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, r := range rules {
		for _, p := range pkgs {
			if !under(p.ImportPath, trim(r.from)...) || under(p.ImportPath, trim(r.except)...) {
				continue
			}
			deps := p.Imports
			if r.deep {
				deps = p.Deps
			}
			for _, d := range deps {
				if matches(d, r.forbidden) && !under(d, trim(r.except)...) {
					t.Errorf("%s: %s imports %s", r.name, p.ImportPath, d)
				}
			}
		}
	}
}

func trim(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = strings.TrimSuffix(p, "/")
	}
	return out
}

func matches(dep string, forbidden []string) bool {
	for _, f := range forbidden {
		if strings.HasSuffix(f, "/") {
			if strings.HasPrefix(dep, f) {
				return true
			}
		} else if under(dep, f) {
			return true
		}
	}
	return false
}
