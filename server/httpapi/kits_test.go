package httpapi_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/kit"
	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/plan"
)

// kitFixtures: a real (all-zero) signed image in set "kset", hostgroup
// "site" and its hosts site-1 and site-2.
func (e *env) kitFixtures() {
	e.t.Helper()
	ctx := context.Background()
	_, id, err := e.images.Finalize(ctx, zeroManifest("kit"))
	if err != nil {
		e.t.Fatal(err)
	}
	must(e.t)(e.admin.RegisterImage(ctx, zeroManifest("kit")))
	must(e.t)(e.admin.ImageSets().Create(ctx, api.ImageSet{Name: "kset", Variants: []api.Variant{{Arch: api.ArchAMD64, Firmware: api.FirmwareBIOS, Image: id}}}))
	must(e.t)(e.admin.Hostgroups().Create(ctx, api.Hostgroup{Name: "site", ImageSet: "kset"}))
	for i, name := range []string{"site-1", "site-2"} {
		must(e.t)(e.admin.Hosts().Create(ctx, api.Host{Name: name, Hostgroup: "site", Serial: "SER-" + name,
			MACs: []api.MAC{mac("52:54:00:00:0a:0" + string(rune('1'+i)))}}))
	}
}

type testKit struct {
	kit    api.Kit
	m      *kit.Manifest
	kitKey ed25519.PrivateKey
}

func (e *env) newKit(c interface {
	CreateKit(context.Context, api.KitRequest) (api.Kit, error)
}) testKit {
	e.t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	k, err := c.CreateKit(context.Background(), api.KitRequest{Hostgroup: "site", KitKey: kit.FormatKey(pub)})
	if err != nil {
		e.t.Fatal(err)
	}
	signing, err := kit.ParseKey(k.SigningKey)
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := kit.Verify(k.Manifest, k.Signature, signing)
	if err != nil {
		e.t.Fatal(err)
	}
	return testKit{kit: k, m: m, kitKey: priv}
}

// report signs a succeeded report of the kit's first host.
func (k testKit) report(t *testing.T, key ed25519.PrivateKey, sealed []byte) kit.Envelope {
	h := k.m.Hosts[0]
	r := kit.Report{Kit: k.m.ID, Deployment: h.Deployment, Host: h.Name, MatchedBy: "MAC " + h.MACs[0], Result: kit.ResultSucceeded,
		Image: h.Image, Started: time.Unix(100, 0), Finished: time.Unix(200, 0), Attempt: 1,
		Events:    []kit.Event{{Time: time.Unix(101, 0), Message: "writing image"}, {Time: time.Unix(199, 0), Message: "done"}},
		Signals:   []api.Signal{{Name: "installer.done", Data: json.RawMessage(`{"disk":"/dev/vda"}`)}},
		Inventory: plan.Inventory{Arch: api.ArchAMD64, Firmware: api.FirmwareBIOS, DMI: plan.DMI{Serial: "SER-" + h.Name}},
	}
	if sealed != nil {
		r.RecoveryKeys = []kit.SealedKey{{Volume: "root", Sealed: sealed}}
	}
	e, err := kit.SignReport(r, key)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCreateKit(t *testing.T) {
	e := newEnv(t)
	e.kitFixtures()
	k := e.newKit(e.admin)
	if len(k.m.Hosts) != 2 || len(k.kit.Deployments) != 2 || k.m.Hosts[0].Serial != "SER-site-1" || k.m.Hosts[0].MACs[0] != "52:54:00:00:0a:01" {
		t.Fatalf("kit hosts %+v", k.m.Hosts)
	}
	for _, f := range k.kit.Plans {
		var p plan.Plan
		if err := json.Unmarshal(f.Data, &p); err != nil {
			t.Fatal(err)
		}
		if p.Config.PhoneHome != "" || p.Config.PhoneHomeToken != "" || p.Image.Server != "" || p.Image.PublicKey == "" {
			t.Errorf("plan %s is not an offline plan: %+v", f.Path, p)
		}
	}
	d, err := e.admin.Deployments().Get(context.Background(), string(k.kit.Deployments[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range d.Steps {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "validate,set-boot,wait-kit-report,boot-disk,finish" {
		t.Errorf("offline steps: %s", got)
	}
	if _, err := e.admin.CreateKit(context.Background(), api.KitRequest{Hostgroup: "site", KitKey: k.kit.SigningKey}); status(err) != http.StatusConflict {
		t.Errorf("hosts already deploying: %v, want 409", err)
	}
}

func TestImportKitReport(t *testing.T) {
	e := newEnv(t)
	e.kitFixtures()
	k := e.newKit(e.admin)
	ctx := context.Background()
	sealed, err := kit.Seal(k.m.ReportKey, []byte("recovery passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	env := k.report(t, k.kitKey, sealed)
	res, err := e.admin.ImportKitReport(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if res.Replayed || res.Result != kit.ResultSucceeded || res.RecoveryKeys != 1 || res.Host != "site-1" {
		t.Errorf("import: %+v", res)
	}
	keys, err := e.admin.RecoveryKeys(ctx, "site-1")
	if err != nil || len(keys) != 1 || keys[0].Passphrase != "recovery passphrase" || keys[0].Volume != "root" || keys[0].Deployment != res.Deployment {
		t.Errorf("escrowed after the import: %+v, %v; want root's passphrase of %s", keys, err, res.Deployment)
	}
	sigs, err := e.admin.Signals(ctx, res.Deployment)
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 2 || sigs[0].Name != "kit.report" || sigs[1].Name != "installer.done" || strings.Contains(string(sigs[0].Data), "recovery passphrase") {
		t.Errorf("signals after import: %+v", sigs)
	}
	all, err := e.admin.Events(ctx, res.Deployment, 0)
	var evs []api.Event
	for _, ev := range all {
		if ev.Type == "kit.installer" {
			evs = append(evs, ev)
		}
	}
	if err != nil || len(evs) != 2 || evs[1].Message != "done" || !evs[1].Time.Equal(time.Unix(199, 0)) {
		t.Errorf("events: %+v, %v", evs, err)
	}
	h, _ := e.admin.Hosts().Get(ctx, "site-1")
	if !strings.Contains(string(h.Inventory), "SER-site-1") {
		t.Errorf("inventory not recorded: %s", h.Inventory)
	}

	again, err := e.admin.ImportKitReport(ctx, env)
	if err != nil || !again.Replayed {
		t.Errorf("replay: %+v, %v", again, err)
	}
	if sigs, _ := e.admin.Signals(ctx, res.Deployment); len(sigs) != 2 {
		t.Errorf("a replay added signals: %d", len(sigs))
	}

	_, forger, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := e.admin.ImportKitReport(ctx, k.report(t, forger, sealed)); status(err) != http.StatusForbidden || !strings.Contains(err.Error(), "not written by kit") {
		t.Errorf("a report signed by another key: %v, want 403", err)
	}
	other := k.report(t, forger, sealed)
	other.Kit = "kit_unknown"
	if _, err := e.admin.ImportKitReport(ctx, other); status(err) != http.StatusForbidden || !strings.Contains(err.Error(), "unknown kit kit_unknown") {
		t.Errorf("a report of an unknown kit: %v, want 403", err)
	}
}

// TestCreateKitEncryption: a kit's plans keep only the TPM2 pin of a
// Tang + TPM2 policy (threshold 1) unless keep_tang; a policy only Tang can
// satisfy is refused (422 naming the host and what to do), and nothing is
// deployed.
func TestCreateKitEncryption(t *testing.T) {
	const tang = "tang: [{url: 'http://tang.site:7500', thumbprints: [x8R9Jd0Y0gRJ4vYXcYQd3l2w8w6bnTbVbWq2mA4bEdc]}]\n"
	for _, tc := range []struct {
		name, enc string
		keepTang  bool
		// want is the plan's policy: threshold, Tang pins, TPM2 or not; or
		// the refusal.
		threshold, tangs int
		tpm2             bool
		wantErr          string
	}{
		{name: "tang+tpm2 becomes tpm2", enc: "threshold: 2\n" + tang + "tpm2: {pcr_ids: [7]}\n", threshold: 1, tpm2: true},
		{name: "tang+tpm2 kept", enc: "threshold: 2\n" + tang + "tpm2: {}\n", keepTang: true, threshold: 2, tangs: 1, tpm2: true},
		{name: "tpm2 only", enc: "tpm2: {}\n", tpm2: true},
		{name: "tang only refused", enc: tang, wantErr: "binds only to Tang"},
		{name: "tang only kept", enc: tang, keepTang: true, tangs: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.kitFixtures()
			ctx := context.Background()
			g := api.Hostgroup{Name: "site", ImageSet: "kset", Layout: "mirror+cis", Encryption: tc.enc}
			if _, err := e.admin.Hostgroups().Put(ctx, "site", g); err != nil {
				t.Fatal(err)
			}
			pub, _, _ := ed25519.GenerateKey(rand.Reader)
			k, err := e.admin.CreateKit(ctx, api.KitRequest{Hostgroup: "site", KitKey: kit.FormatKey(pub), KeepTang: tc.keepTang})
			if tc.wantErr != "" {
				if status(err) != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), tc.wantErr) ||
					!strings.Contains(err.Error(), "host site-1 (hostgroup site)") || !strings.Contains(err.Error(), "--keep-tang") {
					t.Fatalf("CreateKit: %v, want 422 naming host site-1 and what to do", err)
				}
				if ds, err := e.admin.Deployments().All(ctx, nil); err != nil || len(ds) != 0 {
					t.Errorf("a refused kit left deployments: %+v, %v", ds, err)
				}
				if len(e.hostImgs.removed) != 1 {
					t.Errorf("a refused kit removed %d host images, want the one it made for site-1", len(e.hostImgs.removed))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range k.Plans {
				var p plan.Plan
				if err := json.Unmarshal(f.Data, &p); err != nil {
					t.Fatal(err)
				}
				l, err := layout.Parse(p.Layout.Spec)
				if err != nil || l.Encryption == nil {
					t.Fatalf("plan %s: layout %s: %v", f.Path, p.Layout.Spec, err)
				}
				enc := l.Encryption
				if enc.Threshold != tc.threshold || len(enc.Tang) != tc.tangs || (enc.TPM2 != nil) != tc.tpm2 {
					t.Errorf("plan %s: policy %+v, want threshold %d, %d Tang pins, tpm2 %v", f.Path, enc, tc.threshold, tc.tangs, tc.tpm2)
				}
			}
		})
	}
}
