package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/server/store"
)

// importParallel is how many BMCs an import reads at once.
const importParallel = 16

// importHosts reads every BMC's inventory (in parallel), then registers or
// updates one host per BMC (in order). A BMC that fails gets its error in
// its result; the others go on.
func (a *API) importHosts(ctx context.Context, in *bodyInput[api.HostImportRequest]) (*bodyOutput[api.HostImportResponse], error) {
	req := in.Body
	if err := require(ctx, manageScope(req.Hostgroup)); err != nil {
		return nil, err
	}
	if err := a.checkImport(ctx, req); err != nil {
		return nil, err
	}
	if a.BMC == nil {
		return nil, huma.Error501NotImplemented("this server was started without Redfish support")
	}
	invs := make([]redfish.Inventory, len(req.Redfish))
	results := make([]api.HostImportResult, len(req.Redfish))
	g := errgroup.Group{}
	g.SetLimit(importParallel)
	for i, ep := range req.Redfish {
		results[i].Endpoint = ep
		g.Go(func() error {
			inv, err := a.BMC.Inventory(ctx, api.BMC{Endpoint: ep, Credential: req.Credential})
			if err != nil {
				results[i].Error = err.Error()
			}
			invs[i] = inv
			return nil
		})
	}
	_ = g.Wait()
	idx, err := a.hostIndex(ctx)
	if err != nil {
		return nil, a.problem(ctx, err)
	}
	for i := range results {
		if results[i].Error != "" {
			continue
		}
		results[i].Inventory = inventoryOf(invs[i])
		results[i].Host, results[i].Action, err = a.importOne(ctx, idx, req, results[i].Endpoint, invs[i])
		if err != nil {
			results[i].Error = err.Error()
		}
	}
	return &bodyOutput[api.HostImportResponse]{api.HostImportResponse{Results: results}}, nil
}

// checkImport refuses bad URLs, a missing hostgroup or credential.
func (a *API) checkImport(ctx context.Context, req api.HostImportRequest) error {
	var details []*huma.ErrorDetail
	seen := map[string]int{}
	for i, ep := range req.Redfish {
		loc := fmt.Sprintf("body.redfish[%d]", i)
		if u, err := url.Parse(ep); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			details = append(details, &huma.ErrorDetail{Location: loc, Message: "want the BMC's Redfish URL, like https://10.0.0.9", Value: ep})
		}
		if j, dup := seen[ep]; dup {
			details = append(details, &huma.ErrorDetail{Location: loc, Message: fmt.Sprintf("repeats redfish[%d]", j), Value: ep})
		}
		seen[ep] = i
	}
	if req.Hostgroup != "" {
		if _, err := a.Store.GetHostgroup(ctx, req.Hostgroup); err != nil {
			details = append(details, &huma.ErrorDetail{Location: "body.hostgroup", Message: "no hostgroup named " + req.Hostgroup, Value: req.Hostgroup})
		}
	}
	if req.Credential != "" {
		if _, _, err := a.Store.GetCredential(ctx, req.Credential); err != nil {
			details = append(details, &huma.ErrorDetail{Location: "body.credential", Message: "no credential named " + req.Credential + "; store it first with ingot credential create", Value: req.Credential})
		}
	}
	if len(details) > 0 {
		return invalid("host import is not valid", details...)
	}
	return nil
}

// hostIndex finds existing hosts by what a BMC can tell about them.
type hostIndex struct {
	byName map[string]api.Host
	byKey  map[string]string // "bmc:URL", "uuid:...", "serial:...", "mac:..." → host name
}

func (a *API) hostIndex(ctx context.Context) (*hostIndex, error) {
	idx := &hostIndex{byName: map[string]api.Host{}, byKey: map[string]string{}}
	f := store.HostFilter{ListOptions: store.ListOptions{Limit: 1000}}
	for {
		page, err := a.Store.ListHosts(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, h := range page.Items {
			idx.add(h)
		}
		if f.Cursor = page.NextCursor; f.Cursor == "" {
			return idx, nil
		}
	}
}

func (idx *hostIndex) add(h api.Host) {
	idx.byName[h.Name] = h
	for _, k := range hostKeys(h) {
		idx.byKey[k] = h.Name
	}
}

func hostKeys(h api.Host) []string {
	var keys []string
	if h.BMC != nil && h.BMC.Endpoint != "" {
		keys = append(keys, "bmc:"+strings.TrimRight(h.BMC.Endpoint, "/"))
	}
	if h.SystemUUID != "" {
		keys = append(keys, "uuid:"+strings.ToLower(h.SystemUUID))
	}
	if h.Serial != "" {
		keys = append(keys, "serial:"+h.Serial)
	}
	for _, m := range h.MACs {
		keys = append(keys, "mac:"+m.String())
	}
	return keys
}

// match returns the one existing host that any of keys names.
func (idx *hostIndex) match(keys []string) (api.Host, bool, error) {
	var names []string
	for _, k := range keys {
		if n, ok := idx.byKey[k]; ok && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	switch len(names) {
	case 0:
		return api.Host{}, false, nil
	case 1:
		return idx.byName[names[0]], true, nil
	}
	return api.Host{}, false, fmt.Errorf("the BMC's machine matches several hosts (%s) by BMC, UUID, serial or MAC; merge or delete them, then import again", strings.Join(names, ", "))
}

// importOne creates or updates the host behind endpoint.
func (a *API) importOne(ctx context.Context, idx *hostIndex, req api.HostImportRequest, endpoint string, inv redfish.Inventory) (string, string, error) {
	fresh := hostFromInventory(endpoint, req, inv)
	old, found, err := idx.match(hostKeys(fresh))
	if err != nil {
		return "", "", err
	}
	if !found {
		if fresh.Name, err = idx.freeName(inv, endpoint); err != nil {
			return "", "", err
		}
		h, err := a.Store.CreateHost(ctx, fresh)
		if err != nil {
			return "", "", a.problem(ctx, err)
		}
		idx.add(h)
		return h.Name, "created", nil
	}
	if err := require(ctx, manageScope(old.Hostgroup)); err != nil {
		return old.Name, "", err
	}
	h := merged(old, fresh, req)
	if sameJSON(h, old) {
		return h.Name, "unchanged", nil
	}
	h, err = a.Store.UpdateHost(ctx, h)
	if err != nil {
		return old.Name, "", a.problem(ctx, err)
	}
	idx.add(h)
	return h.Name, "updated", nil
}

// hostFromInventory is the host a BMC's inventory describes (no name yet).
func hostFromInventory(endpoint string, req api.HostImportRequest, inv redfish.Inventory) api.Host {
	h := api.Host{Serial: inv.Serial, Hostgroup: req.Hostgroup, State: api.HostRegistered, Boot: api.BootLocal,
		BMC: &api.BMC{Endpoint: endpoint, Credential: req.Credential}}
	if inv.UUID != uuid.Nil {
		h.SystemUUID = inv.UUID.String()
	}
	for _, m := range inv.MACs() {
		if len(m) == 6 {
			h.MACs = append(h.MACs, api.MAC{HardwareAddr: m})
		}
	}
	return h
}

// merged updates an existing host with what the BMC told: identity, BMC,
// MACs added (never dropped: a NIC the BMC does not show stays), and the
// hostgroup and credential when the import names them.
func merged(old, fresh api.Host, req api.HostImportRequest) api.Host {
	h := old
	if fresh.Serial != "" {
		h.Serial = fresh.Serial
	}
	if fresh.SystemUUID != "" {
		h.SystemUUID = fresh.SystemUUID
	}
	bmc := api.BMC{Endpoint: fresh.BMC.Endpoint}
	if old.BMC != nil {
		bmc.Credential = old.BMC.Credential
	}
	if req.Credential != "" {
		bmc.Credential = req.Credential
	}
	h.BMC = &bmc
	if req.Hostgroup != "" {
		h.Hostgroup = req.Hostgroup
	}
	h.MACs = append([]api.MAC(nil), old.MACs...)
	for _, m := range fresh.MACs {
		if !slices.ContainsFunc(h.MACs, func(x api.MAC) bool { return x.String() == m.String() }) {
			h.MACs = append(h.MACs, m)
		}
	}
	return h
}

func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

var nameJunk = regexp.MustCompile(`[^a-z0-9._-]+`)

// hostName makes a host name out of s, or "" when nothing usable is left.
func hostName(s string) string {
	s = nameJunk.ReplaceAllString(strings.ToLower(s), "-")
	s = strings.TrimLeft(s, "._-")
	if len(s) > 63 {
		s = s[:63]
	}
	return strings.TrimRight(s, "._-")
}

// freeName names a new host: its hostname's first label, else its serial,
// else its BMC's address; the first that no other host has.
func (idx *hostIndex) freeName(inv redfish.Inventory, endpoint string) (string, error) {
	label, _, _ := strings.Cut(inv.HostName, ".")
	if strings.EqualFold(label, "localhost") {
		label = ""
	}
	var tried []string
	bmcHost := endpoint
	if u, err := url.Parse(endpoint); err == nil {
		bmcHost = u.Hostname()
	}
	for _, c := range []string{label, inv.Serial, "bmc-" + bmcHost} {
		n := hostName(c)
		if n == "" || slices.Contains(tried, n) {
			continue
		}
		if _, taken := idx.byName[n]; !taken {
			return n, nil
		}
		tried = append(tried, n)
	}
	return "", fmt.Errorf("no free host name: %s taken by other hosts; register this machine by hand (ingot host create)", strings.Join(tried, ", "))
}

// inventoryOf is the wire form of a BMC's inventory.
func inventoryOf(inv redfish.Inventory) *api.BMCInventory {
	out := &api.BMCInventory{Serial: inv.Serial, HostName: inv.HostName, Manufacturer: inv.Manufacturer, Model: inv.Model,
		BMCFirmware: inv.BMCFirmware, PowerState: string(inv.PowerState), CPUs: inv.CPUs, MemoryGiB: inv.MemoryGiB}
	if inv.UUID != uuid.Nil {
		out.SystemUUID = inv.UUID.String()
	}
	for _, m := range inv.MACs() {
		out.MACs = append(out.MACs, api.MAC{HardwareAddr: m})
	}
	for _, d := range inv.Disks {
		out.Disks = append(out.Disks, api.BMCDisk{Name: d.Name, Model: d.Model, Serial: d.Serial, SizeBytes: d.SizeBytes, Media: d.Media, Protocol: d.Protocol})
	}
	return out
}
