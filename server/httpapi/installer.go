package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/server/hostimage"
	"ingot.dev/ingot/server/steps"
)

type installerInput struct {
	Authorization string `header:"Authorization"`
	MAC           string `header:"X-Ingot-MAC" doc:"The MAC the installer booted from; must be one of the host's."`
}

type inventoryInput struct {
	MAC  string `header:"X-Ingot-MAC" doc:"The MAC the installer booted from; must be one of the host's."`
	Body plan.Inventory
}

func (a *API) registerInstaller() {
	huma.Register(a.huma, huma.Operation{OperationID: "installer-plan", Method: http.MethodGet, Path: "/v1/installer/plan", Tags: []string{"installer"},
		Summary: "The plan of the deployment whose installer token is presented"},
		func(ctx context.Context, in *installerInput) (*bodyOutput[plan.Plan], error) {
			d, err := a.installerDeployment(ctx, in.MAC)
			if err != nil {
				return nil, err
			}
			p, err := a.renderPlan(ctx, d, strings.TrimPrefix(in.Authorization, "Bearer "))
			return &bodyOutput[plan.Plan]{p}, err
		})
	huma.Register(a.huma, huma.Operation{OperationID: "installer-inventory", Method: http.MethodPost, Path: "/v1/installer/inventory", Tags: []string{"installer"},
		DefaultStatus: http.StatusNoContent, Summary: "Record the inventory the installer found"},
		func(ctx context.Context, in *inventoryInput) (*struct{}, error) {
			d, err := a.installerDeployment(ctx, in.MAC)
			if err != nil {
				return nil, err
			}
			return nil, a.problem(ctx, a.recordInventory(ctx, d.Host, in.Body))
		})
}

// installerDeployment is the deployment of the installer token presented,
// from a machine that says it is one of the host's MACs.
func (a *API) installerDeployment(ctx context.Context, mac string) (api.Deployment, error) {
	p := principal(ctx)
	var id string
	for _, s := range p.Scopes {
		if rest, ok := strings.CutPrefix(s, "installer:"); ok {
			id = rest
		}
	}
	if id == "" {
		return api.Deployment{}, huma.Error403Forbidden(fmt.Sprintf("token %q is not an installer token", p.Name))
	}
	d, err := a.Store.GetDeployment(ctx, api.DeploymentID(id))
	if err != nil {
		return api.Deployment{}, a.problem(ctx, err)
	}
	if d.State.Terminal() {
		return api.Deployment{}, huma.Error409Conflict(fmt.Sprintf("deployment %s already ended %s", d.ID, d.State))
	}
	if p.Host != d.Host {
		return api.Deployment{}, huma.Error403Forbidden(fmt.Sprintf("token is bound to host %s, not %s", p.Host, d.Host))
	}
	return d, a.checkMAC(ctx, d.Host, mac)
}

// checkMAC refuses an installer whose boot MAC is missing or not the host's.
func (a *API) checkMAC(ctx context.Context, host, mac string) error {
	m, err := api.ParseMAC(mac)
	if err != nil {
		return huma.Error403Forbidden("the installer must send X-Ingot-MAC, the MAC it booted from: " + err.Error())
	}
	h, err := a.Store.GetHost(ctx, host)
	if err != nil {
		return a.problem(ctx, err)
	}
	for _, hm := range h.MACs {
		if hm.String() == m.String() {
			return nil
		}
	}
	return huma.Error403Forbidden(fmt.Sprintf("installer token of host %s presented from %s, which is not one of its MACs", host, m))
}

func (a *API) recordInventory(ctx context.Context, host string, inv plan.Inventory) error {
	h, err := a.Store.GetHost(ctx, host)
	if err != nil {
		return err
	}
	if h.Inventory, err = json.Marshal(inv); err != nil {
		return err
	}
	_, err = a.Store.UpdateHost(ctx, h)
	return err
}

// renderPlan turns the deployment's planned steps and the host's values
// into what the installer needs.
func (a *API) renderPlan(ctx context.Context, d api.Deployment, token string) (plan.Plan, error) {
	h, err := a.Store.GetHost(ctx, d.Host)
	if err != nil {
		return plan.Plan{}, a.problem(ctx, err)
	}
	g, err := a.Store.GetHostgroup(ctx, d.Hostgroup)
	if err != nil {
		return plan.Plan{}, a.problem(ctx, err)
	}
	imgID := steps.ImageOf(d)
	img, err := a.Store.GetImage(ctx, imgID)
	if err != nil {
		return plan.Plan{}, a.problem(ctx, fmt.Errorf("image %s of deployment %s: %w", imgID, d.ID, err))
	}
	base := strings.TrimRight(a.PublicURL, "/")
	lay, err := planLayout(g)
	if err != nil {
		return plan.Plan{}, a.problem(ctx, err)
	}
	reboot := "reboot"
	if g.FirstBoot.Kexec {
		reboot = "kexec"
	}
	cfg := hostimage.Config(h, g)
	cfg.PhoneHome = base + "/v1/deployments/" + string(d.ID) + "/signals"
	cfg.PhoneHomeToken = token
	p := plan.Plan{
		Deployment: d.ID, Host: h.Name, Reboot: reboot,
		Image:  plan.ImageSource{ID: img.ID, Server: base, PublicKey: string(a.SigningKey), Firmware: img.Firmware},
		Layout: lay,
		Config: cfg,
	}
	hi, ok, err := a.hostImageOf(ctx, d)
	if err != nil {
		return plan.Plan{}, a.problem(ctx, err)
	}
	if ok { // the host's config is in the image's layer; the plan keeps the deployment's part
		p.Image.ID = hi.ID
		p.Config = plan.HostConfig{PasswordHash: cfg.PasswordHash, PhoneHome: cfg.PhoneHome, PhoneHomeToken: cfg.PhoneHomeToken}
	}
	return p, nil
}

// planLayout is the hostgroup's layout as the installer takes it: the plain
// single preset (whole-disk payload), or the layout spec as JSON.
func planLayout(g api.Hostgroup) (plan.Layout, error) {
	l, whole, err := layout.FromHostgroup(g.Layout, g.Encryption)
	if err != nil {
		return plan.Layout{}, fmt.Errorf("hostgroup %s: %w", g.Name, err)
	}
	if whole {
		return plan.Layout{Preset: "single"}, nil
	}
	spec, err := json.Marshal(l)
	return plan.Layout{Preset: strings.TrimSpace(g.Layout), Spec: spec}, err
}
