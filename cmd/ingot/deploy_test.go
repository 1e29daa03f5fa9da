package main

import (
	"bytes"
	"strings"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/steps"
)

// TestPrintPlansStorage: a dry run prints the planned storage stack as a
// table under the host, not as JSON inside the validate step.
func TestPrintPlansStorage(t *testing.T) {
	vp := steps.ValidateParams{ImageSet: "debian", Variant: "amd64/uefi/sb=false", Image: "sha256:aa",
		Storage: []string{"disk os  /dev/vda  32GiB", "raid1 md-data  /dev/md/md-data  <- /dev/vda4 /dev/vdb4"}}
	d := api.Deployment{Host: "db-1", Hostgroup: "db", ImageSet: "debian",
		Steps: []api.Step{{Name: steps.KindValidate, Params: steps.Encode(vp)}, {Name: steps.KindFinish, Params: steps.Encode(struct{}{})}}}
	var b bytes.Buffer
	printPlans(&b, []api.Deployment{d})
	out := b.String()
	for _, want := range []string{
		`1. validate         {"image":"sha256:aa","image_set":"debian","variant":"amd64/uefi/sb=false"}`,
		"  storage:\n    disk os  /dev/vda  32GiB\n    raid1 md-data  /dev/md/md-data  <- /dev/vda4 /dev/vdb4\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
}
