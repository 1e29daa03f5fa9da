package httpapi

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/kit"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/server/planner"
	"ingot.dev/ingot/server/sitekit"
	"ingot.dev/ingot/server/store"
)

// Kits signs site kits and opens what comes back on the stick.
type Kits interface {
	SignPublic() ed25519.PublicKey
	Build(ctx context.Context, s sitekit.Spec) (data, sig []byte, err error)
	OpenSealed(sealed []byte) ([]byte, error)
}

// DefaultKitTimeout is how long offline deployments wait for their report.
const DefaultKitTimeout = 30 * 24 * time.Hour

func (a *API) registerKits() {
	huma.Register(a.huma, huma.Operation{OperationID: "create-kit", Method: http.MethodPost, Path: "/v1/kits", Tags: []string{"kits"},
		DefaultStatus: http.StatusCreated, MaxBodyBytes: 1 << 20,
		Summary: "Create an air-gap site kit: offline deployments of the hosts and their signed plans"},
		a.createKit)
	huma.Register(a.huma, huma.Operation{OperationID: "import-kit-report", Method: http.MethodPost, Path: "/v1/kits/reports", Tags: []string{"kits"},
		MaxBodyBytes: 20 << 20, Summary: "Import one signed deployment report brought back on a site kit (idempotent)"},
		a.importKitReport)
}

func (a *API) createKit(ctx context.Context, in *bodyInput[api.KitRequest]) (*bodyOutput[api.Kit], error) {
	if a.Kits == nil {
		return nil, huma.Error501NotImplemented("this server has no kit keys")
	}
	r := in.Body
	kitKey, err := kit.ParseKey(r.KitKey)
	if err != nil {
		return nil, invalid("bad kit key", &huma.ErrorDetail{Location: "body.kit_key", Message: err.Error(), Value: r.KitKey})
	}
	timeout, err := kitTimeout(r.Timeout)
	if err != nil {
		return nil, err
	}
	names, err := a.kitHosts(ctx, r)
	if err != nil {
		return nil, err
	}
	id := newKitID()
	opts := planner.Options{CreatedBy: principal(ctx).Name, Timeout: timeout, Now: a.Now(), Kit: &planner.Kit{ID: id, Key: r.KitKey}}
	spec := sitekit.Spec{ID: id, Created: opts.Now, KitKey: kitKey, KeepTang: r.KeepTang, Plans: map[string][]byte{}}
	out := api.Kit{ID: id, SigningKey: kit.FormatKey(a.Kits.SignPublic())}
	var made []string // host images to remove if the kit is not made
	ok := false
	defer func() {
		if !ok {
			a.removeHostImages(context.WithoutCancel(ctx), made)
		}
	}()
	for i, name := range names {
		loc := fmt.Sprintf("body.hosts[%d]", i)
		if r.Hostgroup != "" {
			loc = "body.hostgroup"
		}
		d, err := a.planOne(ctx, name, loc, opts, false)
		if err != nil {
			return nil, err
		}
		// The kit carries the host's image: the base's chunks, shared by
		// every host, and its config layer.
		if a.HostImages != nil {
			hi, err := a.HostImages.ForDeployment(ctx, d)
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			made = append(made, hi.ID)
		}
		h, p, err := a.kitPlan(ctx, d, r.KeepTang, loc)
		if err != nil {
			return nil, err
		}
		spec.Hosts = append(spec.Hosts, h)
		spec.Plans[name] = p
		out.Plans = append(out.Plans, api.KitFile{Path: h.Plan, Data: p})
		out.Deployments = append(out.Deployments, d)
	}
	if out.Manifest, out.Signature, err = a.Kits.Build(ctx, spec); err != nil {
		return nil, a.problem(ctx, fmt.Errorf("signing kit %s: %w", id, err))
	}
	if err := a.Store.CreateDeployments(ctx, out.Deployments); err != nil {
		return nil, a.problem(ctx, err)
	}
	ok = true
	a.Engine.Wake()
	return &bodyOutput[api.Kit]{out}, nil
}

func kitTimeout(s string) (time.Duration, error) {
	if s == "" {
		return DefaultKitTimeout, nil
	}
	t, err := time.ParseDuration(s)
	if err != nil || t < time.Hour {
		return 0, invalid("bad timeout", &huma.ErrorDetail{Location: "body.timeout", Message: "want a Go duration of at least 1h, like 72h", Value: s})
	}
	return t, nil
}

// kitHosts is the request's host list, or every host of its hostgroup.
func (a *API) kitHosts(ctx context.Context, r api.KitRequest) ([]string, error) {
	if (len(r.Hosts) == 0) == (r.Hostgroup == "") {
		return nil, invalid("which hosts?", &huma.ErrorDetail{Location: "body.hosts", Message: "give either hosts or hostgroup"})
	}
	if r.Hostgroup == "" {
		seen := map[string]bool{}
		for i, n := range r.Hosts {
			if seen[n] {
				return nil, invalid("host named twice", &huma.ErrorDetail{Location: fmt.Sprintf("body.hosts[%d]", i), Message: "host " + n + " is already in the list", Value: n})
			}
			seen[n] = true
		}
		return r.Hosts, nil
	}
	var names []string
	f := store.HostFilter{Hostgroup: r.Hostgroup, ListOptions: store.ListOptions{Limit: 1000}}
	for {
		page, err := a.Store.ListHosts(ctx, f)
		if err != nil {
			return nil, a.problem(ctx, err)
		}
		for _, h := range page.Items {
			names = append(names, h.Name)
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	if len(names) == 0 {
		return nil, invalid("empty hostgroup", &huma.ErrorDetail{Location: "body.hostgroup", Message: "hostgroup " + r.Hostgroup + " has no hosts (or does not exist)", Value: r.Hostgroup})
	}
	return names, nil
}

// kitPlan renders d's plan for installing from the kit: no server, no
// token, no phone-home; Tang pins removed unless keepTang. A policy that
// cannot work offline is a 422 at loc.
func (a *API) kitPlan(ctx context.Context, d api.Deployment, keepTang bool, loc string) (kit.Host, []byte, error) {
	p, err := a.renderPlan(ctx, d, "")
	if err != nil {
		return kit.Host{}, nil, err
	}
	p.Image.Server, p.Config.PhoneHome, p.Config.PhoneHomeToken = "", "", ""
	if p.Layout, err = kitLayout(p.Layout, keepTang); errors.Is(err, errTangOnly) {
		msg := fmt.Sprintf("host %s (hostgroup %s): %v; no kit was made", d.Host, d.Hostgroup, err)
		return kit.Host{}, nil, invalid("encryption policy needs Tang", &huma.ErrorDetail{Location: loc, Message: msg, Value: d.Host})
	} else if err != nil {
		return kit.Host{}, nil, a.problem(ctx, fmt.Errorf("host %s: %w", d.Host, err))
	}
	b, err := json.Marshal(p)
	if err != nil {
		return kit.Host{}, nil, a.problem(ctx, err)
	}
	h, err := a.Store.GetHost(ctx, d.Host)
	if err != nil {
		return kit.Host{}, nil, a.problem(ctx, err)
	}
	kh := kit.Host{Name: h.Name, Deployment: d.ID, Hostgroup: d.Hostgroup, Serial: h.Serial, UUID: h.SystemUUID, Plan: kit.PlanPath(h.Name), Image: p.Image.ID}
	for _, m := range h.MACs {
		kh.MACs = append(kh.MACs, m.String())
	}
	var inv plan.Inventory
	if json.Unmarshal(h.Inventory, &inv) == nil {
		kh.Serial, kh.UUID = first(kh.Serial, inv.DMI.Serial), first(kh.UUID, inv.DMI.UUID)
	}
	return kh, b, nil
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func newKitID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "kit_" + hex.EncodeToString(b)
}
