// Package httpboot is the HTTP side of network boot: per-host iPXE scripts
// chosen by MAC, the installer kernel and initramfs, and the iPXE binaries
// for UEFI HTTP boot clients.
package httpboot

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/netboot/boot"
	"ingot.dev/ingot/netboot/ipxe"
)

// Config configures the handler.
type Config struct {
	// Base is the server's base URL as booting machines reach it.
	Base *url.URL
	// Installer holds vmlinuz and initramfs.cpio.gz.
	Installer fs.FS
	// IPXE holds the iPXE binaries (ipxe.efi, snponly.efi, undionly.kpxe).
	IPXE fs.FS
	// HoldInterval is how often a held machine asks again. Default 30s.
	HoldInterval time.Duration
	// Fetched, when set, is called after each file is served. It must not block.
	Fetched func(Fetch)
}

// Fetch records one file served.
type Fetch struct {
	Path   string
	Client string
	Bytes  int64 // of the whole file; Range requests may send less
	Status int
}

// Validate checks c.
func (c Config) Validate() error {
	if err := ipxe.CheckBaseURL(c.Base); err != nil {
		return fmt.Errorf("httpboot: Base: %w", err)
	}
	if c.Installer == nil || c.IPXE == nil {
		return errors.New("httpboot: Installer and IPXE directories are required")
	}
	return nil
}

// Handler serves /boot/.
type Handler struct {
	cfg      Config
	resolver boot.Resolver
	log      *slog.Logger
	mux      *http.ServeMux
}

var _ http.Handler = (*Handler)(nil)

// New returns the handler. Mount it at "/boot/".
func New(cfg Config, r boot.Resolver, log *slog.Logger) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.HoldInterval == 0 {
		cfg.HoldInterval = 30 * time.Second
	}
	h := &Handler{cfg: cfg, resolver: r, log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /boot/ipxe", h.script)
	h.mux.HandleFunc("GET /boot/ipxe/{mac}", h.script)
	h.mux.HandleFunc("GET /boot/installer/{file}", h.installer)
	h.mux.HandleFunc("GET /boot/{file}", h.binary)
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) script(w http.ResponseWriter, r *http.Request) {
	macText := r.PathValue("mac")
	if macText == "" {
		macText = r.URL.Query().Get("mac")
	}
	mac, err := net.ParseMAC(macText)
	if err != nil || len(mac) != 6 {
		http.Error(w, "mac: want a 48-bit MAC such as 52:54:00:12:34:56 (iPXE: ?mac=${net0/mac})", http.StatusBadRequest)
		return
	}
	platform, buildarch := r.URL.Query().Get("platform"), r.URL.Query().Get("arch")
	log := h.log.With("mac", mac.String())
	t, err := h.resolver.Resolve(r.Context(), mac)
	if err != nil {
		log.Warn("resolving boot target", "err", err)
		http.Error(w, "cannot decide what this machine boots now; retry", http.StatusServiceUnavailable)
		return
	}
	base := h.cfg.Base
	if t.BaseURL != nil {
		base = t.BaseURL
	}
	firmware := api.FirmwareUEFI
	if platform == "pcbios" {
		firmware = api.FirmwareBIOS
	}
	if platform != "pcbios" && platform != "efi" {
		platform, buildarch = "", "" // not worth echoing back
	}
	if !allowedArch(buildarch) {
		buildarch = ""
	}
	s := ipxe.Script{
		Decision: t.EffectiveDecision(), Firmware: firmware, Base: base, Host: t.Host,
		Deployment: t.Deployment, Token: t.Token, KernelArgs: t.KernelArgs, HoldInterval: h.cfg.HoldInterval,
		Self: ipxe.ScriptURL(h.cfg.Base, mac, platform, buildarch),
	}
	body, err := ipxe.Render(s)
	if err != nil {
		log.Error("rendering iPXE script", "host", t.Host, "err", err)
		http.Error(w, "this host's boot settings cannot be put into an iPXE script; see the server log", http.StatusInternalServerError)
		return
	}
	log.Info("iPXE script", "host", t.Host, "known", t.Known, "decision", s.Decision, "platform", platform)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body)
}

func allowedArch(a string) bool {
	switch a {
	case "i386", "x86_64", "arm64", "arm32", "riscv64":
		return true
	}
	return false
}

func (h *Handler) installer(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if name != ipxe.KernelName && name != ipxe.InitrdName {
		http.NotFound(w, r)
		return
	}
	h.serveFile(w, r, h.cfg.Installer, name)
}

func (h *Handler) binary(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if !fs.ValidPath(name) || name == "." {
		http.NotFound(w, r)
		return
	}
	h.serveFile(w, r, h.cfg.IPXE, name)
}

// serveFile serves one file with http.ServeContent (Range, If-Modified-Since).
func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, root fs.FS, name string) {
	f, err := root.Open(name)
	if err != nil {
		http.NotFound(w, r)
		h.fetched(r, 0, http.StatusNotFound)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		h.fetched(r, 0, http.StatusNotFound)
		return
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		http.Error(w, "file is not seekable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, name, fi.ModTime(), rs)
	h.fetched(r, fi.Size(), http.StatusOK)
}

func (h *Handler) fetched(r *http.Request, n int64, status int) {
	if h.cfg.Fetched != nil {
		h.cfg.Fetched(Fetch{Path: r.URL.Path, Client: r.RemoteAddr, Bytes: n, Status: status})
	}
}
