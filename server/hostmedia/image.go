package hostmedia

import (
	"context"
	"fmt"
	"os"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/cmdline"
	"ingot.dev/ingot/media"
)

// image returns the ISO of d, building it the first time.
func (s *Service) image(ctx context.Context, d api.Deployment) (string, error) {
	out := s.isoPath(d.ID)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	h, err := s.cfg.Store.GetHost(ctx, d.Host)
	if err != nil {
		return "", fmt.Errorf("reading host %s: %w", d.Host, err)
	}
	c := Kernel(h, s.cfg.PublicURL)
	c.InstallerDir, c.Out = s.cfg.InstallerDir, out
	if err := s.cfg.Build(ctx, c, media.Host{Token: s.cfg.Secret(d.ID), Deployment: string(d.ID)}); err != nil {
		return "", fmt.Errorf("building the ISO of deployment %s: %w", d.ID, err)
	}
	return out, nil
}

// Kernel is the image configuration of host h's installer: the server
// URL, and the host's static address for its boot NIC when it has one
// (the address without an interface, else the first), so that the
// installer needs no DHCP. The NIC is the address's interface or the
// host's first MAC.
func Kernel(h api.Host, server string) media.Config {
	c := media.Config{ServerURL: server}
	addrs := h.Values.Addresses
	if len(addrs) == 0 {
		return c
	}
	a := addrs[0]
	for _, x := range addrs {
		if x.Interface == "" {
			a = x
			break
		}
	}
	c.Static = &cmdline.Static{Addr: a.Address, Gateway: a.Gateway, DNS: a.DNS}
	c.Iface = a.Interface
	if c.Iface == "" && len(h.MACs) > 0 {
		c.Iface = h.MACs[0].String()
	}
	return c
}

// waiting reports whether d still waits for its installer: not ended, and
// its wait-installer step not yet done.
func waiting(d api.Deployment) bool {
	if d.State.Terminal() || d.Cancel {
		return false
	}
	for _, st := range d.Steps {
		if st.Name == "wait-installer" {
			return st.Status == api.StepPending || st.Status == api.StepRunning || st.Status == api.StepWaiting
		}
	}
	return false
}

func phase(d api.Deployment) string {
	if d.State.Terminal() {
		return string(d.State)
	}
	return string(d.State) + " past its installer"
}
