package emulator

import (
	"fmt"
	"net/http"
	"strconv"
)

func (s *Server) versions(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, obj{"v1": "/redfish/v1/"})
}

func (s *Server) root(w http.ResponseWriter, _ *http.Request) {
	o := obj{
		"@odata.id": "/redfish/v1/", "@odata.type": "#ServiceRoot.v1_5_0.ServiceRoot",
		"Id": "RootService", "Name": "Ingot Redfish emulator", "RedfishVersion": "1.6.0",
		"UUID":    s.cfg.Identity.UUID,
		"Systems": link("/redfish/v1/Systems"), "Managers": link("/redfish/v1/Managers"),
		"Chassis": link("/redfish/v1/Chassis"),
		"Tasks":   link("/redfish/v1/TaskService"),
		"Links":   obj{},
		"Product": "Ingot Redfish emulator",
		"Vendor":  s.cfg.Identity.Manufacturer,
	}
	if !s.quirks().NoSessions {
		o["SessionService"] = link("/redfish/v1/SessionService")
		o["Links"] = obj{"Sessions": link("/redfish/v1/SessionService/Sessions")}
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) odata(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, obj{"@odata.context": "/redfish/v1/$metadata", "value": []obj{
		{"name": "Systems", "kind": "Singleton", "url": "/redfish/v1/Systems"},
		{"name": "Managers", "kind": "Singleton", "url": "/redfish/v1/Managers"},
	}})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.quirks().NoSessions {
		writeError(w, http.StatusNotFound, "Base.1.8.ResourceMissingAtURI", "no SessionService")
		return
	}
	var body struct{ UserName, Password string }
	if !decode(w, r, &body) {
		return
	}
	if !s.credsOK(body.UserName, body.Password) {
		writeError(w, http.StatusUnauthorized, "Base.1.8.NoValidSession", "invalid username or password")
		return
	}
	tok := token()
	s.mu.Lock()
	s.nextID++
	id := strconv.Itoa(s.nextID)
	s.sessions[tok] = id
	s.mu.Unlock()
	loc := "/redfish/v1/SessionService/Sessions/" + id
	w.Header().Set("X-Auth-Token", tok)
	w.Header().Set("Location", loc)
	writeJSON(w, http.StatusCreated, obj{"@odata.id": loc, "@odata.type": "#Session.v1_1_0.Session", "Id": id, "Name": "Session", "UserName": body.UserName})
}

func (s *Server) sessionService(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, obj{"@odata.id": "/redfish/v1/SessionService", "@odata.type": "#SessionService.v1_1_3.SessionService",
		"Id": "SessionService", "Name": "Session Service", "ServiceEnabled": true, "SessionTimeout": 1800,
		"Sessions": link("/redfish/v1/SessionService/Sessions")})
}

func (s *Server) sessionList(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	var ids []string
	for _, id := range s.sessions {
		ids = append(ids, "/redfish/v1/SessionService/Sessions/"+id)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, collection("/redfish/v1/SessionService/Sessions", "SessionCollection", ids...))
}

func (s *Server) sessionGet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	writeJSON(w, http.StatusOK, obj{"@odata.id": "/redfish/v1/SessionService/Sessions/" + id, "@odata.type": "#Session.v1_1_0.Session", "Id": id, "Name": "Session"})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, sid := range s.sessions {
		if sid == id {
			delete(s.sessions, tok)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	writeError(w, http.StatusNotFound, "Base.1.8.ResourceMissingAtURI", "no session "+id)
}

// Sessions counts the open sessions.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

func (s *Server) managers(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, collection("/redfish/v1/Managers", "ManagerCollection", managerPath))
}

func (s *Server) manager(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, obj{"@odata.id": managerPath, "@odata.type": "#Manager.v1_5_0.Manager",
		"Id": "BMC", "Name": "Manager", "ManagerType": "BMC", "FirmwareVersion": s.cfg.Identity.Firmware,
		"Status":       obj{"State": "Enabled", "Health": "OK"},
		"VirtualMedia": link(managerPath + "/VirtualMedia"),
		"Links":        obj{"ManagerForServers": []obj{link(systemPath)}}})
}

func (s *Server) chassisList(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, collection("/redfish/v1/Chassis", "ChassisCollection"))
}

func (s *Server) taskService(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, obj{"@odata.id": "/redfish/v1/TaskService", "@odata.type": "#TaskService.v1_1_0.TaskService",
		"Id": "TaskService", "Name": "Task Service", "ServiceEnabled": true, "CompletedTaskOverWritePolicy": "Oldest",
		"Tasks": link("/redfish/v1/TaskService/Tasks")})
}

// tasks is always empty: every action here completes before it answers.
func (s *Server) tasks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, collection("/redfish/v1/TaskService/Tasks", "TaskCollection"))
}

func (s *Server) nics(w http.ResponseWriter, _ *http.Request) {
	var ms []string
	for i := range s.cfg.Identity.MACs {
		ms = append(ms, fmt.Sprintf("%s/EthernetInterfaces/%d", systemPath, i+1))
	}
	writeJSON(w, http.StatusOK, collection(systemPath+"/EthernetInterfaces", "EthernetInterfaceCollection", ms...))
}

func (s *Server) nic(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || i < 1 || i > len(s.cfg.Identity.MACs) {
		writeError(w, http.StatusNotFound, "Base.1.8.ResourceMissingAtURI", "no such interface")
		return
	}
	writeJSON(w, http.StatusOK, obj{"@odata.id": r.URL.Path, "@odata.type": "#EthernetInterface.v1_4_0.EthernetInterface",
		"Id": strconv.Itoa(i), "Name": "NIC " + strconv.Itoa(i), "MACAddress": s.cfg.Identity.MACs[i-1],
		"PermanentMACAddress": s.cfg.Identity.MACs[i-1], "SpeedMbps": 1000, "LinkStatus": "LinkUp", "InterfaceEnabled": true})
}

func (s *Server) storages(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, collection(systemPath+"/Storage", "StorageCollection", systemPath+"/Storage/1"))
}

func (s *Server) storage(w http.ResponseWriter, _ *http.Request) {
	var drives []obj
	for i := range s.cfg.Identity.Disks {
		drives = append(drives, link(fmt.Sprintf("%s/Storage/1/Drives/%d", systemPath, i)))
	}
	writeJSON(w, http.StatusOK, obj{"@odata.id": systemPath + "/Storage/1", "@odata.type": "#Storage.v1_7_0.Storage",
		"Id": "1", "Name": "Local Storage Controller", "Drives": drives, "Drives@odata.count": len(drives)})
}

func (s *Server) drive(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || i < 0 || i >= len(s.cfg.Identity.Disks) {
		writeError(w, http.StatusNotFound, "Base.1.8.ResourceMissingAtURI", "no such drive")
		return
	}
	d := s.cfg.Identity.Disks[i]
	writeJSON(w, http.StatusOK, obj{"@odata.id": r.URL.Path, "@odata.type": "#Drive.v1_6_0.Drive", "Id": strconv.Itoa(i),
		"Name": "Drive " + strconv.Itoa(i), "Model": d.Model, "SerialNumber": d.Serial, "CapacityBytes": d.SizeBytes,
		"MediaType": "SSD", "Protocol": "SATA"})
}
