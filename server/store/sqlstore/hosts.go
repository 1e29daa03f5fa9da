package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

const hostCols = "hosts.name, hosts.serial, hosts.system_uuid, hosts.bmc, hosts.hostgroup, hosts.host_values, " +
	"hosts.inventory, hosts.state, hosts.boot, hosts.created_at, hosts.updated_at"

func scanHost(r scanner) (api.Host, error) {
	var h api.Host
	var bmc, values, inventory string
	var group sql.NullString
	var created, updated int64
	err := r.Scan(&h.Name, &h.Serial, &h.SystemUUID, &bmc, &group, &values, &inventory,
		&h.State, &h.Boot, &created, &updated)
	if err != nil {
		return api.Host{}, err
	}
	h.Hostgroup, h.Inventory = group.String, rawJSON(inventory)
	h.CreatedAt, h.UpdatedAt = fromMicros(created), fromMicros(updated)
	if bmc != "" {
		h.BMC = new(api.BMC)
		if err := fromJSON(bmc, h.BMC); err != nil {
			return api.Host{}, err
		}
	}
	return h, fromJSON(values, &h.Values)
}

// hostArgs are h's columns serial through boot, in hostCols order.
func hostArgs(h api.Host) ([]any, error) {
	var bmc string
	if h.BMC != nil {
		var err error
		if bmc, err = toJSON(h.BMC); err != nil {
			return nil, err
		}
	}
	values, err := toJSON(h.Values)
	if err != nil {
		return nil, err
	}
	return []any{h.Serial, h.SystemUUID, bmc, nullString(h.Hostgroup), values, string(h.Inventory),
		string(h.State), string(h.Boot)}, nil
}

// CreateHost records a host and its MACs.
func (s *Store) CreateHost(ctx context.Context, h api.Host) (api.Host, error) {
	args, err := hostArgs(h)
	if err != nil {
		return api.Host{}, err
	}
	now := micros(s.stamp())
	err = s.inTx(ctx, func(c conn) error {
		if err := s.checkHostRefs(ctx, c, h); err != nil {
			return err
		}
		_, err := c.exec(ctx, `INSERT INTO hosts (name, serial, system_uuid, bmc, hostgroup, host_values,
			inventory, state, boot, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append(append([]any{h.Name}, args...), now, now)...)
		switch {
		case isUnique(err):
			return conflict("name", "host %s already exists", h.Name)
		case isForeignKey(err):
			return conflict("hostgroup", "hostgroup %s does not exist", h.Hostgroup)
		case err != nil:
			return fmt.Errorf("creating host %s: %w", h.Name, err)
		}
		if err := insertMACs(ctx, c, h); err != nil {
			return err
		}
		h, err = s.getHost(ctx, c, "hosts.name = ?", h.Name)
		return err
	})
	if err != nil {
		return api.Host{}, err
	}
	return h, nil
}

// checkHostRefs refuses an unknown hostgroup and MACs that are listed twice
// or belong to another host.
func (s *Store) checkHostRefs(ctx context.Context, c conn, h api.Host) error {
	if h.Hostgroup != "" {
		var one int
		err := c.row(ctx, "SELECT 1 FROM hostgroups WHERE name = ?", h.Hostgroup).Scan(&one)
		if noRows(err) {
			return conflict("hostgroup", "hostgroup %s does not exist", h.Hostgroup)
		}
		if err != nil {
			return fmt.Errorf("checking hostgroup %s: %w", h.Hostgroup, err)
		}
	}
	if len(h.MACs) == 0 {
		return nil
	}
	index := make(map[string]int, len(h.MACs))
	args := []any{h.Name}
	for i, m := range h.MACs {
		key := m.String()
		if j, ok := index[key]; ok {
			return conflict(fmt.Sprintf("macs[%d]", i), "%s is listed twice (also macs[%d])", key, j)
		}
		index[key] = i
		args = append(args, key)
	}
	rows, err := c.query(ctx, "SELECT mac, host FROM host_macs WHERE host <> ? AND mac IN ("+
		placeholders(len(h.MACs))+")", args...)
	if err != nil {
		return fmt.Errorf("checking MACs of host %s: %w", h.Name, err)
	}
	used, err := collect(rows, func(r scanner) ([2]string, error) {
		var p [2]string
		return p, r.Scan(&p[0], &p[1])
	})
	if err != nil || len(used) == 0 {
		return err
	}
	first := used[0]
	for _, u := range used {
		if index[u[0]] < index[first[0]] {
			first = u
		}
	}
	return conflict(fmt.Sprintf("macs[%d]", index[first[0]]), "%s is already used by host %s", first[0], first[1])
}

// insertMACs replaces the MACs of host h.
func insertMACs(ctx context.Context, c conn, h api.Host) error {
	if _, err := c.exec(ctx, "DELETE FROM host_macs WHERE host = ?", h.Name); err != nil {
		return fmt.Errorf("replacing MACs of host %s: %w", h.Name, err)
	}
	for i, m := range h.MACs {
		_, err := c.exec(ctx, "INSERT INTO host_macs (mac, host, idx) VALUES (?, ?, ?)", m.String(), h.Name, i)
		if isUnique(err) {
			return conflict(fmt.Sprintf("macs[%d]", i), "%s is already used by another host", m)
		}
		if err != nil {
			return fmt.Errorf("adding MAC %s to host %s: %w", m, h.Name, err)
		}
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// GetHost returns the named host.
func (s *Store) GetHost(ctx context.Context, name string) (api.Host, error) {
	return s.getHost(ctx, s.read(), "hosts.name = ?", name)
}

// GetHostByMAC returns the host that has the MAC.
func (s *Store) GetHostByMAC(ctx context.Context, mac api.MAC) (api.Host, error) {
	return s.getHost(ctx, s.read(), "hosts.name = (SELECT host FROM host_macs WHERE mac = ?)", mac.String())
}

func (s *Store) getHost(ctx context.Context, c conn, where string, arg any) (api.Host, error) {
	h, err := scanHost(c.row(ctx, "SELECT "+hostCols+" FROM hosts WHERE "+where, arg))
	if err != nil {
		return api.Host{}, fmt.Errorf("getting host %v: %w", arg, notFound(err, "host"))
	}
	hosts := []api.Host{h}
	if err := s.fillMACs(ctx, c, hosts); err != nil {
		return api.Host{}, err
	}
	return hosts[0], nil
}

// fillMACs loads the MACs of hosts in one query.
func (s *Store) fillMACs(ctx context.Context, c conn, hosts []api.Host) error {
	if len(hosts) == 0 {
		return nil
	}
	at := make(map[string]int, len(hosts))
	args := make([]any, len(hosts))
	for i, h := range hosts {
		at[h.Name], args[i] = i, h.Name
	}
	rows, err := c.query(ctx, "SELECT host, mac FROM host_macs WHERE host IN ("+placeholders(len(hosts))+
		") ORDER BY host, idx", args...)
	if err != nil {
		return fmt.Errorf("loading MACs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var host, mac string
		if err := rows.Scan(&host, &mac); err != nil {
			return fmt.Errorf("loading MACs: %w", err)
		}
		m, err := api.ParseMAC(mac)
		if err != nil {
			return fmt.Errorf("loading MACs of host %s: %w", host, err)
		}
		hosts[at[host]].MACs = append(hosts[at[host]].MACs, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("loading MACs: %w", err)
	}
	return nil
}

// ListHosts pages through hosts by name.
func (s *Store) ListHosts(ctx context.Context, f store.HostFilter) (api.Page[api.Host], error) {
	n := pageSize(f.Limit)
	where, args := []string{"name > ?"}, []any{f.Cursor}
	if f.Hostgroup != "" {
		where, args = append(where, "hostgroup = ?"), append(args, f.Hostgroup)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	c := s.read()
	rows, err := c.query(ctx, "SELECT "+hostCols+" FROM hosts WHERE "+strings.Join(where, " AND ")+
		" ORDER BY name LIMIT ?", append(args, n+1)...)
	if err != nil {
		return api.Page[api.Host]{}, fmt.Errorf("listing hosts: %w", err)
	}
	items, err := collect(rows, scanHost)
	if err != nil {
		return api.Page[api.Host]{}, fmt.Errorf("listing hosts: %w", err)
	}
	page := pageOf(items, n, func(h api.Host) string { return h.Name })
	if err := s.fillMACs(ctx, c, page.Items); err != nil {
		return api.Page[api.Host]{}, err
	}
	return page, nil
}

// UpdateHost replaces everything but the name and creation time, MACs too.
func (s *Store) UpdateHost(ctx context.Context, h api.Host) (api.Host, error) {
	args, err := hostArgs(h)
	if err != nil {
		return api.Host{}, err
	}
	err = s.inTx(ctx, func(c conn) error {
		if err := s.checkHostRefs(ctx, c, h); err != nil {
			return err
		}
		res, err := c.exec(ctx, `UPDATE hosts SET serial = ?, system_uuid = ?, bmc = ?, hostgroup = ?,
			host_values = ?, inventory = ?, state = ?, boot = ?, updated_at = ? WHERE name = ?`,
			append(args, micros(s.stamp()), h.Name)...)
		if isForeignKey(err) {
			return conflict("hostgroup", "hostgroup %s does not exist", h.Hostgroup)
		}
		if err != nil {
			return fmt.Errorf("updating host %s: %w", h.Name, err)
		}
		if err := affected(res, "host "+h.Name); err != nil {
			return err
		}
		if err := insertMACs(ctx, c, h); err != nil {
			return err
		}
		h, err = s.getHost(ctx, c, "hosts.name = ?", h.Name)
		return err
	})
	if err != nil {
		return api.Host{}, err
	}
	return h, nil
}

// DeleteHost removes a host that has no active deployment, and its MACs.
func (s *Store) DeleteHost(ctx context.Context, name string) error {
	return s.inTx(ctx, func(c conn) error {
		var id string
		err := c.row(ctx, "SELECT id FROM deployments WHERE host = ? AND "+activeState+" LIMIT 1", name).Scan(&id)
		if err == nil {
			return conflict("name", "host %s has active deployment %s; cancel it first", name, id)
		}
		if !noRows(err) {
			return fmt.Errorf("deleting host %s: %w", name, err)
		}
		res, err := c.exec(ctx, "DELETE FROM hosts WHERE name = ?", name)
		if err != nil {
			return fmt.Errorf("deleting host %s: %w", name, err)
		}
		return affected(res, "host "+name)
	})
}
