package planner

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/steps"
)

const twoDisks = `{"arch":"amd64","firmware":"uefi","tpm":{"present":%s,"version":"2.0"},
	"disks":[{"name":"vda","path":"/dev/vda","size_bytes":34359738368},{"name":"vdb","path":"/dev/vdb","size_bytes":34359738368}]}`

const tangTPM = "threshold: 2\ntang: [{url: 'http://tang:7500', thumbprints: [x8R9Jd0Y0gRJ4vYXcYQd3l2w8w6bnTbVbWq2mA4bEdc]}]\ntpm2: {}\n"

// TestPlanStorage: the dry run shows which disk gets what; a layout that
// does not fit the host's inventory refuses the plan, naming why.
func TestPlanStorage(t *testing.T) {
	tests := []struct {
		name      string
		layout    string
		enc       string
		inventory string
		want      []string // substrings of the storage lines
		wantErr   string
	}{
		{name: "single", layout: "single"},
		{name: "no inventory yet", layout: "mirror", want: []string{"planned by the installer"}},
		{name: "mirror+cis on two disks", layout: "mirror+cis", enc: tangTPM, inventory: strings.Replace(twoDisks, "%s", "true", 1),
			want: []string{"disk os", "/dev/vda2", "raid1 md-data", "/dev/vda4 /dev/vdb4", "luks2 crypt", "sss t=2", "fs /var/log/audit", "nodev,nosuid,noexec"}},
		{name: "TPM policy, no TPM", layout: "mirror", enc: tangTPM, inventory: strings.Replace(twoDisks, "%s", "false", 1),
			wantErr: "layout: hostgroup web's layout does not fit host h1: encryption.tpm2"},
		{name: "mirror on one disk", layout: "mirror", inventory: `{"firmware":"uefi","disks":[{"name":"vda","path":"/dev/vda","size_bytes":34359738368}]}`,
			wantErr: "needs 2 disks, 1 match"},
		{name: "BIOS host", layout: "mirror+cis", inventory: strings.Replace(strings.Replace(twoDisks, "%s", "false", 1), `"uefi"`, `"bios"`, 1),
			want: []string{"part 1               /dev/vda1               1MiB                 bios-boot", "/dev/vdb1", "raid1 md-data"}},
		{name: "bad layout", layout: "raid5", wantErr: "layout: hostgroup web: layout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := catalog()
			c.groups["web"] = api.Hostgroup{Name: "web", ImageSet: "debian", Layout: tt.layout, Encryption: tt.enc}
			set := c.sets["debian"] // a BIOS variant too, so BIOS hosts get as far as their storage
			set.Variants = append(slices.Clone(set.Variants), api.Variant{Arch: api.ArchAMD64, Firmware: api.FirmwareBIOS, Image: imgAmdBIOS})
			c.sets["debian"] = set
			if tt.inventory != "" {
				c.hosts["h1"] = api.Host{Name: "h1", Hostgroup: "web", Inventory: api.RawJSON(tt.inventory)}
			}
			d, err := New(c).Plan(t.Context(), "h1", Options{Now: now})
			if tt.wantErr != "" {
				var pe *PlanError
				if !errors.As(err, &pe) || !strings.Contains(pe.Error(), tt.wantErr) {
					t.Fatalf("Plan error = %v, want a PlanError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var vp steps.ValidateParams
			if err := json.Unmarshal(d.Steps[0].Params, &vp); err != nil {
				t.Fatal(err)
			}
			text := strings.Join(vp.Storage, "\n")
			if len(tt.want) == 0 && text != "" {
				t.Errorf("storage = %q, want none", text)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("storage lacks %q:\n%s", w, text)
				}
			}
		})
	}
}
