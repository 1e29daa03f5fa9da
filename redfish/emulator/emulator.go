// Package emulator serves a small Redfish service in front of a Machine:
// ServiceRoot, SessionService, one System (power, boot override, Reset
// action, EthernetInterfaces, Storage), one Manager with a virtual CD
// (InsertMedia/EjectMedia) and an empty TaskService. Its JSON is shaped on
// the DMTF public-rackmount1 mockup. Switchable Quirks make it behave like
// the BMCs that deviate from the standard.
//
// redfish/fakebmc puts it in front of an in-memory machine for unit tests;
// redfish/vbmc in front of a qemu VM.
package emulator

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
)

// Machine is what the emulator drives. Reset types are the Redfish ones
// (On, ForceOff, GracefulShutdown, ForceRestart, GracefulRestart,
// PowerCycle); boot is the one-time boot target to use for a boot that the
// reset starts ("" for the normal order).
type Machine interface {
	PowerOn(ctx context.Context) (bool, error)
	Reset(ctx context.Context, resetType, boot string) error
	InsertMedia(ctx context.Context, image string) error
	EjectMedia(ctx context.Context) error
}

// Quirks switch on BMC behaviours seen in the field.
type Quirks struct {
	// RejectInserted answers 400 to an InsertMedia that carries Inserted or
	// WriteProtected.
	RejectInserted bool
	// BootViaSettings makes Boot read-only on the system (PATCH answers 405)
	// and takes it on the @Redfish.Settings object, only with a matching
	// If-Match (412 without); pending settings apply at the next reset.
	BootViaSettings bool
	// IgnoreBootPatch answers 200 to a boot override PATCH and changes
	// nothing.
	IgnoreBootPatch bool
	// NoSessions offers no SessionService: basic auth only.
	NoSessions bool
}

// Identity is the machine's inventory as the BMC shows it.
type Identity struct {
	UUID, Serial, Manufacturer, Model, Firmware string
	HostName                                    string // empty: the BMC does not report one
	MACs                                        []string
	Disks                                       []DiskInfo
}

// DiskInfo is one drive under Storage.
type DiskInfo struct {
	Model, Serial string
	SizeBytes     int64
}

// Config configures a Server.
type Config struct {
	Username, Password string
	Machine            Machine
	Quirks             Quirks
	Identity           Identity
	// BootTargets are advertised in BootSourceOverrideTarget@Redfish.AllowableValues
	// (default None, Pxe, Cd, Hdd, UefiHttp, Usb).
	BootTargets []string
	Logger      *slog.Logger
}

// Server is the Redfish service; an http.Handler.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux

	mu       sync.Mutex
	sessions map[string]string // token -> session id
	nextID   int
	boot     bootState
	pending  *bootState // BootViaSettings: waits for the next reset
	gen      int        // bumps on every boot change: the ETag
	image    string
	inserted bool
}

type bootState struct {
	Enabled, Target, Mode, URI string
}

var _ http.Handler = (*Server)(nil)

// New builds a Server.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if len(cfg.BootTargets) == 0 {
		cfg.BootTargets = []string{"None", "Pxe", "Cd", "Hdd", "UefiHttp", "Usb"}
	}
	s := &Server{cfg: cfg, log: cfg.Logger, sessions: map[string]string{}, boot: bootState{Enabled: "Disabled", Target: "None"}}
	s.routes()
	return s
}

// SetQuirks changes the quirks of a running server.
func (s *Server) SetQuirks(q Quirks) {
	s.mu.Lock()
	s.cfg.Quirks = q
	s.mu.Unlock()
}

func (s *Server) quirks() Quirks {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Quirks
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) routes() {
	m := http.NewServeMux()
	open := func(p string, h http.HandlerFunc) { m.HandleFunc(p, h) }
	auth := func(p string, h http.HandlerFunc) { m.Handle(p, s.authed(h)) }
	open("GET /redfish", s.versions)
	open("GET /redfish/{$}", s.versions)
	open("GET /redfish/v1", s.root)
	open("GET /redfish/v1/{$}", s.root)
	open("GET /redfish/v1/odata", s.odata)
	open("POST /redfish/v1/SessionService/Sessions", s.login)
	open("POST /redfish/v1/SessionService/Sessions/{$}", s.login)
	auth("GET /redfish/v1/SessionService", s.sessionService)
	auth("GET /redfish/v1/SessionService/Sessions", s.sessionList)
	auth("GET /redfish/v1/SessionService/Sessions/{id}", s.sessionGet)
	auth("DELETE /redfish/v1/SessionService/Sessions/{id}", s.logout)
	auth("GET /redfish/v1/Systems", s.systems)
	auth("GET "+systemPath, s.system)
	auth("PATCH "+systemPath, s.patchSystem)
	auth("GET "+systemPath+"/Settings", s.settings)
	auth("PATCH "+systemPath+"/Settings", s.patchSettings)
	auth("POST "+systemPath+"/Actions/ComputerSystem.Reset", s.reset)
	auth("GET "+systemPath+"/EthernetInterfaces", s.nics)
	auth("GET "+systemPath+"/EthernetInterfaces/{id}", s.nic)
	auth("GET "+systemPath+"/Storage", s.storages)
	auth("GET "+systemPath+"/Storage/1", s.storage)
	auth("GET "+systemPath+"/Storage/1/Drives/{id}", s.drive)
	auth("GET /redfish/v1/Managers", s.managers)
	auth("GET "+managerPath, s.manager)
	auth("GET "+managerPath+"/VirtualMedia", s.mediaList)
	auth("GET "+mediaPath, s.media)
	auth("PATCH "+mediaPath, s.patchMedia)
	auth("POST "+mediaPath+"/Actions/VirtualMedia.InsertMedia", s.insert)
	auth("POST "+mediaPath+"/Actions/VirtualMedia.EjectMedia", s.eject)
	auth("GET /redfish/v1/TaskService", s.taskService)
	auth("GET /redfish/v1/TaskService/Tasks", s.tasks)
	auth("GET /redfish/v1/Chassis", s.chassisList)
	s.mux = m
}

const (
	systemPath  = "/redfish/v1/Systems/437XR1138R2"
	managerPath = "/redfish/v1/Managers/BMC"
	mediaPath   = managerPath + "/VirtualMedia/CD1"
)

// authed lets a request through with a session token or basic auth.
func (s *Server) authed(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.Header.Get("X-Auth-Token"); tok != "" {
			s.mu.Lock()
			_, ok := s.sessions[tok]
			s.mu.Unlock()
			if ok {
				h(w, r)
				return
			}
		} else if u, p, ok := r.BasicAuth(); ok && s.credsOK(u, p) {
			h(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="Redfish"`)
		writeError(w, http.StatusUnauthorized, "Base.1.8.NoValidSession", "authentication required")
	})
}

func (s *Server) credsOK(user, pass string) bool {
	return subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.Username)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.Password)) == 1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, id, msg string) {
	writeJSON(w, status, obj{"error": obj{"code": id, "message": msg,
		"@Message.ExtendedInfo": []obj{{"MessageId": id, "Message": msg}}}})
}

type obj = map[string]any

func link(p string) obj { return obj{"@odata.id": p} }

func collection(path, typ string, members ...string) obj {
	ms := make([]obj, 0, len(members))
	for _, m := range members {
		ms = append(ms, link(m))
	}
	return obj{"@odata.id": path, "@odata.type": "#" + typ + "." + typ, "Name": typ,
		"Members": ms, "Members@odata.count": len(ms)}
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "Base.1.8.MalformedJSON", "malformed JSON: "+err.Error())
		return false
	}
	return true
}

func token() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) machineError(w http.ResponseWriter, err error) {
	s.log.Warn("machine call failed", "err", err)
	if errors.Is(err, context.Canceled) {
		return
	}
	writeError(w, http.StatusInternalServerError, "Base.1.8.InternalError", err.Error())
}
