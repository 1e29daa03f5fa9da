// Package dhcp is Ingot's DHCP server for network boot: proxyDHCP (the
// default, next to a site's DHCP server) or full DHCP with pools, reservations
// and leases. It answers PXE, iPXE and UEFI HTTP boot clients with the boot
// file that fits their firmware, and is the only package that imports
// github.com/insomniacslk/dhcp.
//
// One Server serves one interface: the DHCP port (67, bound to the device)
// and the PXE boot server port (4011 on the interface address).
package dhcp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"ingot.dev/ingot/netboot/boot"
)

// Server is the DHCP server of one interface.
type Server struct {
	cfg      Config
	resolver boot.Resolver
	leases   Leases
	log      *slog.Logger
	limit    *limiter
	allocMu  sync.Mutex // serialises full-mode address allocation
	dhcp     *net.UDPConn
	pxe      *net.UDPConn
	bufs     sync.Pool
}

// New validates cfg and opens the server's sockets; Serve runs it. leases
// may be nil in proxy mode.
func New(cfg Config, r boot.Resolver, leases Leases, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if cfg.Mode == ModeFull && leases == nil {
		return nil, errors.New("dhcp: full mode needs a lease store")
	}
	s := &Server{cfg: cfg, resolver: r, leases: leases, log: log.With("interface", cfg.Interface),
		limit: newLimiter(cfg.RateLimit)}
	s.bufs.New = func() any { b := make([]byte, maxPacket); return &b }
	var err error
	if s.dhcp, err = listen(cfg.Interface, cfg.Listen, cfg.ReadBuffer); err != nil {
		return nil, err
	}
	if s.pxe, err = listen("", cfg.ListenPXE, cfg.ReadBuffer); err != nil {
		s.dhcp.Close()
		return nil, err
	}
	return s, nil
}

// maxPacket is the largest datagram read; longer ones are truncated and
// then fail to parse.
const maxPacket = 1500

// Addr returns the DHCP socket's address.
func (s *Server) Addr() netip.AddrPort { return s.dhcp.LocalAddr().(*net.UDPAddr).AddrPort() }

// PXEAddr returns the PXE boot server socket's address.
func (s *Server) PXEAddr() netip.AddrPort { return s.pxe.LocalAddr().(*net.UDPAddr).AddrPort() }

// Serve answers requests until ctx ends, then closes the sockets.
func (s *Server) Serve(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	jobs := make(chan job, 4096)
	g.Go(func() error {
		<-ctx.Done()
		s.dhcp.Close()
		s.pxe.Close()
		return nil
	})
	var readers sync.WaitGroup
	readers.Add(2)
	g.Go(func() error { defer readers.Done(); return s.read(ctx, s.dhcp, false, jobs) })
	g.Go(func() error { defer readers.Done(); return s.read(ctx, s.pxe, true, jobs) })
	go func() { readers.Wait(); close(jobs) }()
	for range s.cfg.Workers {
		g.Go(func() error {
			for j := range jobs {
				s.serveOne(ctx, j)
			}
			return nil
		})
	}
	if s.cfg.Mode == ModeFull {
		g.Go(func() error { s.expireLoop(ctx); return nil })
	}
	return g.Wait()
}

type job struct {
	buf  *[]byte
	n    int
	src  netip.AddrPort
	pxe  bool
	conn *net.UDPConn
}

func (s *Server) read(ctx context.Context, c *net.UDPConn, pxe bool, jobs chan<- job) error {
	for {
		buf := s.bufs.Get().(*[]byte)
		n, src, err := c.ReadFromUDPAddrPort(*buf)
		if err != nil {
			s.bufs.Put(buf)
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("dhcp %s: reading: %w", s.cfg.Interface, err)
		}
		select {
		case jobs <- job{buf: buf, n: n, src: src, pxe: pxe, conn: c}:
		default:
			s.bufs.Put(buf)
			s.observe(Event{Drop: DropQueueFull})
		}
	}
}

func (s *Server) serveOne(ctx context.Context, j job) {
	start := time.Now()
	defer s.bufs.Put(j.buf)
	ev, reply, dst := s.handle(ctx, (*j.buf)[:j.n], j.src, j.pxe)
	if reply != nil {
		if _, err := j.conn.WriteToUDPAddrPort(reply, dst); err != nil {
			ev.Drop, ev.Reply = DropSendFailed, ""
			s.log.Warn("dhcp reply not sent", "mac", ev.MAC, "to", dst, "err", err)
		}
	}
	ev.Took = time.Since(start)
	s.observe(ev)
}

func (s *Server) observe(ev Event) {
	ev.Interface = s.cfg.Interface
	if s.cfg.Metrics != nil {
		s.cfg.Metrics(ev)
	}
}

func (s *Server) expireLoop(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if _, err := s.leases.Expire(ctx, now); err != nil && ctx.Err() == nil {
				s.log.Warn("expiring leases", "err", err)
			}
		}
	}
}
