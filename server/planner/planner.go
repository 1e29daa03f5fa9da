// Package planner turns "deploy this host" into a deployment: it picks the
// image set variant that fits the host and lays out the ordered steps with
// complete, human-readable params. Its output is also what a dry run shows.
package planner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/server/steps"
	"ingot.dev/ingot/server/store"
)

// Catalog is the part of the store the planner reads.
type Catalog interface {
	GetHost(ctx context.Context, name string) (api.Host, error)
	GetHostgroup(ctx context.Context, name string) (api.Hostgroup, error)
	GetImageSet(ctx context.Context, name string) (api.ImageSet, error)
}

var _ Catalog = store.Store(nil)

// Defaults for Options.
const (
	DefaultTimeout          = 2 * time.Hour
	DefaultInstallerTimeout = time.Hour
)

// Options tune one plan.
type Options struct {
	CreatedBy string        // who asked; recorded on the deployment
	Timeout   time.Duration // deployment deadline from Now; 0 means DefaultTimeout
	// InstallerTimeout bounds the wait for the installer's outcome; 0 means
	// DefaultInstallerTimeout. The deployment deadline still applies.
	InstallerTimeout time.Duration
	Now              time.Time // creation time; zero means time.Now()
	// Kit, when set, plans an offline deployment installed from that site
	// kit: no installer token, no phone-home; it waits for the kit's report.
	Kit *Kit
}

// Kit names the site kit an offline deployment is installed from and the
// key its reports are signed with.
type Kit struct {
	ID  string
	Key string // base64url ed25519 public key
}

// PlanError is a plan refused because of the named input or object. Field
// is where the problem lies ("host", "hostgroup", "image_set", "variant",
// "inventory", "timeout"); the API turns it into a 422 problem detail.
type PlanError struct {
	Field   string
	Message string
}

func (e *PlanError) Error() string { return e.Field + ": " + e.Message }

// Planner makes deployment plans. It is safe for concurrent use.
type Planner struct {
	cat Catalog
	ids idSource
}

// New returns a planner reading from cat.
func New(cat Catalog) *Planner {
	return &Planner{cat: cat}
}

// Plan builds the deployment of hostName: every step pending, state
// pending, deadline Now+Timeout. It stores nothing.
func (p *Planner) Plan(ctx context.Context, hostName string, opts Options) (api.Deployment, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return api.Deployment{}, err
	}
	h, g, set, err := p.load(ctx, hostName)
	if err != nil {
		return api.Deployment{}, err
	}
	v, err := PickVariant(h, set)
	if err != nil {
		return api.Deployment{}, err
	}
	storage, err := planStorage(h, g)
	if err != nil {
		return api.Deployment{}, err
	}
	return api.Deployment{
		ID:        p.ids.next(opts.Now),
		Host:      h.Name,
		Hostgroup: g.Name,
		ImageSet:  set.Name,
		State:     api.DeploymentPending,
		Steps:     planSteps(h, g, set, v, storage, opts),
		CreatedBy: opts.CreatedBy,
		CreatedAt: opts.Now,
		Deadline:  opts.Now.Add(opts.Timeout),
	}, nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Timeout < 0 || o.InstallerTimeout < 0 {
		return o, &PlanError{Field: "timeout", Message: "must not be negative"}
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.InstallerTimeout == 0 {
		o.InstallerTimeout = DefaultInstallerTimeout
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	return o, nil
}

// load reads the host, its hostgroup and the group's image set.
func (p *Planner) load(ctx context.Context, name string) (api.Host, api.Hostgroup, api.ImageSet, error) {
	var (
		g   api.Hostgroup
		set api.ImageSet
	)
	h, err := p.cat.GetHost(ctx, name)
	if err != nil {
		return h, g, set, missing(err, "host", fmt.Sprintf("host %s does not exist", name))
	}
	if h.Hostgroup == "" {
		return h, g, set, &PlanError{Field: "hostgroup", Message: fmt.Sprintf("host %s is in no hostgroup; assign one before deploying", name)}
	}
	g, err = p.cat.GetHostgroup(ctx, h.Hostgroup)
	if err != nil {
		return h, g, set, missing(err, "hostgroup", fmt.Sprintf("hostgroup %s of host %s does not exist", h.Hostgroup, name))
	}
	if g.ImageSet == "" {
		return h, g, set, &PlanError{Field: "image_set", Message: fmt.Sprintf("hostgroup %s has no image set", g.Name)}
	}
	set, err = p.cat.GetImageSet(ctx, g.ImageSet)
	if err != nil {
		return h, g, set, missing(err, "image_set", fmt.Sprintf("image set %s of hostgroup %s does not exist", g.ImageSet, g.Name))
	}
	return h, g, set, nil
}

// missing turns a store miss into a PlanError; other errors pass wrapped.
func missing(err error, field, msg string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &PlanError{Field: field, Message: msg}
	}
	return fmt.Errorf("planning: reading %s: %w", field, err)
}

// planSteps lays out the checklist with complete params.
// A host with a BMC in a hostgroup that network-boots gets a bmc-boot step
// after set-boot; one that boots Redfish virtual media gets a bmc-boot
// step with target Cd, and a bmc-eject step once the installer is done.
func planSteps(h api.Host, g api.Hostgroup, set api.ImageSet, v api.Variant, storage []string, o Options) []api.Step {
	mk := func(kind string, params any) api.Step {
		return api.Step{Name: kind, Params: steps.Encode(params), Status: api.StepPending}
	}
	if o.Kit != nil {
		return []api.Step{
			mk(steps.KindValidate, steps.ValidateParams{ImageSet: set.Name, Variant: v.Key(), Image: v.Image}),
			mk(steps.KindSetBoot, steps.SetBootParams{PreviousBoot: h.Boot, PreviousState: h.State}),
			mk(steps.KindWaitKitReport, steps.KitReportParams{Kit: o.Kit.ID, KitKey: o.Kit.Key}),
			mk(steps.KindBootDisk, struct{}{}),
			mk(steps.KindFinish, struct{}{}),
		}
	}
	out := []api.Step{
		mk(steps.KindValidate, steps.ValidateParams{ImageSet: set.Name, Variant: v.Key(), Image: v.Image, Storage: storage}),
		mk(steps.KindInstallerToken, steps.InstallerTokenParams{TTL: steps.Duration(o.Timeout)}),
		mk(steps.KindSetBoot, steps.SetBootParams{PreviousBoot: h.Boot, PreviousState: h.State}),
	}
	if target, ok := bmcBootTarget(h, g); ok {
		out = append(out, mk(steps.KindBMCBoot, steps.BMCBootParams{Target: target}))
	}
	out = append(out, mk(steps.KindWaitInstaller, steps.WaitParams{Timeout: steps.Duration(o.InstallerTimeout)}))
	if target, ok := bmcBootTarget(h, g); ok && target == redfish.BootCd {
		out = append(out, mk(steps.KindBMCEject, struct{}{}))
	}
	return append(out,
		mk(steps.KindBootDisk, struct{}{}),
		mk(steps.KindWaitFirstboot, steps.WaitParams{}),
		mk(steps.KindFinish, struct{}{}),
	)
}

// bmcBootTarget is the one-time boot target of a host the server boots
// through its BMC: Pxe, UefiHttp or (virtual media) Cd by the hostgroup's
// boot path.
func bmcBootTarget(h api.Host, g api.Hostgroup) (redfish.BootTarget, bool) {
	if h.BMC == nil || h.BMC.Endpoint == "" {
		return "", false
	}
	switch g.BootPath {
	case api.BootPXE:
		return redfish.BootPxe, true
	case api.BootUEFIHTTP:
		return redfish.BootUefiHTTP, true
	case api.BootRedfishVMedia:
		return redfish.BootCd, true
	}
	return "", false
}

// idSource makes deployment IDs that sort by creation time: "dep_", 12
// base32 digits of Unix milliseconds, 8 random ones. Within one planner
// IDs strictly increase: a clock that stands still or goes back is bumped
// by a millisecond.
type idSource struct {
	mu   sync.Mutex
	last int64
}

func (s *idSource) next(now time.Time) api.DeploymentID {
	s.mu.Lock()
	ms := now.UnixMilli()
	if ms <= s.last {
		ms = s.last + 1
	}
	s.last = ms
	s.mu.Unlock()
	return api.DeploymentID("dep_" + encodeTime(ms) + randomSuffix())
}
