// Package tftp is Ingot's read-only TFTP server: it serves the iPXE binaries
// (undionly.kpxe, ipxe.efi, snponly.efi) from an fs.FS so that firmware PXE
// can chainload iPXE, which then uses HTTP. It is the only package that
// imports github.com/pin/tftp.
package tftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"path"
	"strings"
	"time"

	"github.com/pin/tftp/v3"
)

// Config configures the server.
type Config struct {
	// Listen is the UDP address. Default 0.0.0.0:69.
	Listen netip.AddrPort
	// Root holds the files served (read-only).
	Root fs.FS
	// Timeout is the per-packet retransmit timeout. Default 2s.
	Timeout time.Duration
	// Stats, when set, is called once per transfer. It must not block.
	Stats func(Transfer)
}

// Transfer describes one finished (or failed) read.
type Transfer struct {
	File     string
	Client   netip.AddrPort
	Bytes    int64
	Duration time.Duration
	Err      error
}

// Validate checks c.
func (c Config) Validate() error {
	if c.Root == nil {
		return errors.New("tftp: Root: want the directory of iPXE binaries")
	}
	if c.Timeout < 0 {
		return fmt.Errorf("tftp: Timeout %v: must not be negative", c.Timeout)
	}
	return nil
}

// Server is a read-only TFTP server.
type Server struct {
	cfg  Config
	log  *slog.Logger
	conn *net.UDPConn
	srv  *tftp.Server
}

// New validates cfg and opens the socket; Serve runs the server.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Listen.IsValid() {
		cfg.Listen = netip.AddrPortFrom(netip.IPv4Unspecified(), 69)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(cfg.Listen))
	if err != nil {
		return nil, fmt.Errorf("tftp: listening on %v: %w", cfg.Listen, err)
	}
	s := &Server{cfg: cfg, log: log, conn: conn}
	s.srv = tftp.NewServer(s.read, refuseWrite)
	s.srv.SetTimeout(cfg.Timeout)
	s.srv.SetRetries(5)
	return s, nil
}

// Addr is the server's address.
func (s *Server) Addr() netip.AddrPort { return s.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// Serve serves until ctx ends; transfers under way are given their
// retransmit time to finish.
func (s *Server) Serve(ctx context.Context) error {
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			s.srv.Shutdown()
		case <-stopped:
		}
	}()
	err := s.srv.Serve(s.conn)
	close(stopped)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tftp: %w", err)
	}
	return nil
}

// ErrReadOnly is the error write requests get.
var ErrReadOnly = errors.New("read-only server: writes are refused")

func refuseWrite(string, io.WriterTo) error { return ErrReadOnly }

func (s *Server) read(name string, rf io.ReaderFrom) error {
	start := time.Now()
	t := Transfer{File: name}
	if ot, ok := rf.(tftp.OutgoingTransfer); ok {
		ra := ot.RemoteAddr()
		t.Client = ra.AddrPort()
	}
	t.Bytes, t.Err = s.send(name, rf)
	t.Duration = time.Since(start)
	if s.cfg.Stats != nil {
		s.cfg.Stats(t)
	}
	if t.Err != nil {
		s.log.Debug("tftp transfer failed", "file", name, "client", t.Client, "err", t.Err)
	}
	return t.Err
}

func (s *Server) send(name string, rf io.ReaderFrom) (int64, error) {
	clean, err := Clean(name)
	if err != nil {
		return 0, err
	}
	f, err := s.cfg.Root.Open(clean)
	if err != nil {
		return 0, fmt.Errorf("%s: file not found", clean)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s: not a regular file", clean)
	}
	if ot, ok := rf.(tftp.OutgoingTransfer); ok {
		ot.SetSize(fi.Size())
	}
	return rf.ReadFrom(f)
}

// Clean turns a requested file name into an fs.FS path: one leading "/" is
// dropped; "..", empty elements, backslashes and control characters are
// refused, so no name reaches outside the root.
func Clean(name string) (string, error) {
	n := strings.TrimPrefix(name, "/")
	if n == "" || len(n) > 255 || strings.ContainsAny(n, "\\\x00") {
		return "", fmt.Errorf("%q: invalid file name", name)
	}
	for _, r := range n {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("%q: invalid file name", name)
		}
	}
	for _, el := range strings.Split(n, "/") {
		if el == ".." || el == "" || el == "." {
			return "", fmt.Errorf("%q: invalid path", name)
		}
	}
	if path.Clean(n) != n || !fs.ValidPath(n) {
		return "", fmt.Errorf("%q: invalid path", name)
	}
	return n, nil
}
