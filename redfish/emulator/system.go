package emulator

import (
	"fmt"
	"net/http"
	"slices"
)

func (s *Server) systems(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, collection("/redfish/v1/Systems", "ComputerSystemCollection", systemPath))
}

func bootJSON(b bootState, allowed []string) obj {
	o := obj{"BootSourceOverrideEnabled": b.Enabled, "BootSourceOverrideTarget": b.Target,
		"BootSourceOverrideMode": b.Mode, "HttpBootUri": b.URI}
	if allowed != nil {
		o["BootSourceOverrideTarget@Redfish.AllowableValues"] = allowed
	}
	if b.Mode == "" {
		o["BootSourceOverrideMode"] = "UEFI"
	}
	return o
}

func (s *Server) system(w http.ResponseWriter, r *http.Request) {
	on, err := s.cfg.Machine.PowerOn(r.Context())
	if err != nil {
		s.machineError(w, err)
		return
	}
	power := "Off"
	if on {
		power = "On"
	}
	id := s.cfg.Identity
	s.mu.Lock()
	o := obj{
		"@odata.id": systemPath, "@odata.type": "#ComputerSystem.v1_10_0.ComputerSystem",
		"Id": "437XR1138R2", "Name": "WebFrontEnd483", "SystemType": "Physical",
		"Manufacturer": id.Manufacturer, "Model": id.Model, "SerialNumber": id.Serial, "UUID": id.UUID,
		"BiosVersion": "P79 v1.45", "PowerState": power,
		"Status":           obj{"State": "Enabled", "Health": "OK"},
		"ProcessorSummary": obj{"Count": 2}, "MemorySummary": obj{"TotalSystemMemoryGiB": 96},
		"Boot": bootJSON(s.boot, s.cfg.BootTargets),
		"Actions": obj{"#ComputerSystem.Reset": obj{"target": systemPath + "/Actions/ComputerSystem.Reset",
			"ResetType@Redfish.AllowableValues": []string{"On", "ForceOff", "GracefulShutdown", "GracefulRestart", "ForceRestart", "PowerCycle"}}},
		"EthernetInterfaces": link(systemPath + "/EthernetInterfaces"),
		"Storage":            link(systemPath + "/Storage"),
		"Links":              obj{"ManagedBy": []obj{link(managerPath)}},
	}
	if id.HostName != "" {
		o["HostName"] = id.HostName
	}
	if s.cfg.Quirks.BootViaSettings {
		o["@Redfish.Settings"] = obj{"@odata.type": "#Settings.v1_2_0.Settings", "SettingsObject": link(systemPath + "/Settings")}
	}
	etag := fmt.Sprintf(`W/"%d"`, s.gen)
	s.mu.Unlock()
	w.Header().Set("ETag", etag)
	writeJSON(w, http.StatusOK, o)
}

type bootBody struct {
	Boot *struct {
		BootSourceOverrideEnabled *string
		BootSourceOverrideTarget  *string
		BootSourceOverrideMode    *string
		HTTPBootURI               *string `json:"HttpBootUri"`
	}
}

// apply merges a PATCH into b, or says why not.
func (s *Server) apply(b *bootState, body bootBody) string {
	p := body.Boot
	if p == nil {
		return ""
	}
	if p.BootSourceOverrideTarget != nil {
		if !slices.Contains(s.cfg.BootTargets, *p.BootSourceOverrideTarget) {
			return "BootSourceOverrideTarget " + *p.BootSourceOverrideTarget + " is not allowed"
		}
		b.Target = *p.BootSourceOverrideTarget
	}
	if e := p.BootSourceOverrideEnabled; e != nil {
		if !slices.Contains([]string{"Once", "Continuous", "Disabled"}, *e) {
			return "BootSourceOverrideEnabled " + *e + " is not allowed"
		}
		b.Enabled = *e
	}
	if p.BootSourceOverrideMode != nil {
		b.Mode = *p.BootSourceOverrideMode
	}
	if p.HTTPBootURI != nil {
		b.URI = *p.HTTPBootURI
	}
	return ""
}

func (s *Server) patchSystem(w http.ResponseWriter, r *http.Request) {
	var body bootBody
	if !decode(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.cfg.Quirks
	switch {
	case q.BootViaSettings && body.Boot != nil:
		writeError(w, http.StatusMethodNotAllowed, "Base.1.8.PropertyNotWritable", "Boot is read-only here; PATCH the @Redfish.Settings object")
		return
	case q.IgnoreBootPatch:
		w.WriteHeader(http.StatusOK) // and nothing happens
		return
	}
	next := s.boot
	if msg := s.apply(&next, body); msg != "" {
		writeError(w, http.StatusBadRequest, "Base.1.8.PropertyValueNotInList", msg)
		return
	}
	s.boot = next
	s.gen++
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) settings(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	b := s.boot
	if s.pending != nil {
		b = *s.pending
	}
	etag := fmt.Sprintf(`"%d"`, s.gen)
	s.mu.Unlock()
	w.Header().Set("ETag", etag)
	writeJSON(w, http.StatusOK, obj{"@odata.id": systemPath + "/Settings", "@odata.type": "#ComputerSystem.v1_10_0.ComputerSystem",
		"Id": "Settings", "Name": "Pending settings", "Boot": bootJSON(b, nil)})
}

func (s *Server) patchSettings(w http.ResponseWriter, r *http.Request) {
	var body bootBody
	if !decode(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.cfg.Quirks.BootViaSettings {
		writeError(w, http.StatusNotFound, "Base.1.8.ResourceMissingAtURI", "no settings object")
		return
	}
	if m := r.Header.Get("If-Match"); m != fmt.Sprintf(`"%d"`, s.gen) && m != "*" {
		writeError(w, http.StatusPreconditionFailed, "Base.1.8.PreconditionFailed", "If-Match is missing or stale")
		return
	}
	next := s.boot
	if s.pending != nil {
		next = *s.pending
	}
	if msg := s.apply(&next, body); msg != "" {
		writeError(w, http.StatusBadRequest, "Base.1.8.PropertyValueNotInList", msg)
		return
	}
	s.pending = &next
	s.gen++
	w.WriteHeader(http.StatusNoContent)
}

// Boot returns the effective boot override (target, enabled).
func (s *Server) Boot() (target, enabled string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.boot.Target, s.boot.Enabled
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	var body struct{ ResetType string }
	if !decode(w, r, &body) {
		return
	}
	switch body.ResetType {
	case "On", "ForceOff", "GracefulShutdown", "GracefulRestart", "ForceRestart", "PowerCycle":
	default:
		writeError(w, http.StatusBadRequest, "Base.1.8.ActionParameterValueNotInList", "ResetType "+body.ResetType+" is not supported")
		return
	}
	boot := ""
	s.mu.Lock()
	starts := body.ResetType != "ForceOff" && body.ResetType != "GracefulShutdown"
	if starts && s.pending != nil {
		s.boot, s.pending = *s.pending, nil
		s.gen++
	}
	if starts && s.boot.Enabled != "Disabled" {
		boot = s.boot.Target
		if s.boot.Enabled == "Once" {
			s.boot.Enabled = "Disabled"
			s.gen++
		}
	}
	s.mu.Unlock()
	if err := s.cfg.Machine.Reset(r.Context(), body.ResetType, boot); err != nil {
		s.machineError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
