package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ingot.dev/ingot/netboot/tftp"
)

type bench struct {
	pid        int
	dhcp, tftp netip.AddrPort
	out        io.Writer
	ipxe       string
	macs       atomic.Uint64
}

const offerTarget = 10000.0

func (b *bench) all(ctx context.Context) error {
	fmt.Fprintf(b.out, "netboot bench: proxyDHCP and TFTP on loopback (server pid %d, %d CPUs)\n", b.pid, numCPU())
	for _, n := range []int{16, 64, 256} {
		if err := b.offers(ctx, n, 3*time.Second); err != nil {
			return err
		}
	}
	if err := b.burst(1000); err != nil {
		return err
	}
	return b.tftpLoad(200)
}

// discover is a BIOS PXE DISCOVER with a fresh MAC and transaction ID.
func (b *bench) discover(buf []byte) (xid uint32) {
	n := b.macs.Add(1)
	xid = uint32(n)
	clear(buf)
	buf[0], buf[1], buf[2] = 1, 1, 6
	binary.BigEndian.PutUint32(buf[4:], xid)
	buf[10] = 0x80 // broadcast flag
	mac := [6]byte{0x02, 0xbe, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	copy(buf[28:], mac[:])
	copy(buf[236:], []byte{99, 130, 83, 99})
	opts := []byte{53, 1, 1, 93, 2, 0, 0, 60, 32}
	opts = append(opts, "PXEClient:Arch:00000:UNDI:002001"...)
	opts = append(opts, 255)
	copy(buf[240:], opts)
	return xid
}

const packetLen = 240 + 9 + 32 + 1

// offers runs n clients, each sending DISCOVERs one after the other.
func (b *bench) offers(ctx context.Context, n int, d time.Duration) error {
	var got, lost atomic.Int64
	cpu0 := b.cpu()
	start := time.Now()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range n {
		wg.Go(func() {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			defer c.Close()
			req, resp := make([]byte, packetLen), make([]byte, 1500)
			for time.Since(start) < d && ctx.Err() == nil {
				xid := b.discover(req)
				if _, err := c.WriteToUDPAddrPort(req, b.dhcp); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				if waitXID(c, resp, xid, time.Second) {
					got.Add(1)
				} else {
					lost.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return err
	}
	el := time.Since(start)
	rate := float64(got.Load()) / el.Seconds()
	cpu := b.cpu() - cpu0
	fmt.Fprintf(b.out, "  offers/s at %3d clients: %8.0f  (%.2fx the %.0f/s target; %d offers, %d unanswered; server CPU %.1f µs/offer)\n",
		n, rate, rate/offerTarget, offerTarget, got.Load(), lost.Load(), cpu.Seconds()*1e6/float64(max(got.Load(), 1)))
	return nil
}

func waitXID(c *net.UDPConn, buf []byte, xid uint32, wait time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(wait))
	for {
		n, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return false
		}
		if n >= 8 && binary.BigEndian.Uint32(buf[4:]) == xid {
			return true
		}
	}
}

// burst sends n DISCOVERs at once from n/100 sockets and counts the offers.
func (b *bench) burst(n int) error {
	const per = 100
	var got atomic.Int64
	var wg sync.WaitGroup
	ready := make(chan struct{})
	start := time.Now()
	for range n / per {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return err
		}
		c.SetReadBuffer(1 << 20)
		wg.Go(func() {
			defer c.Close()
			<-ready
			req := make([]byte, packetLen)
			for range per {
				b.discover(req)
				c.WriteToUDPAddrPort(req, b.dhcp)
			}
			resp := make([]byte, 1500)
			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			for i := 0; i < per; i++ {
				if _, _, err := c.ReadFromUDPAddrPort(resp); err != nil {
					return
				}
				got.Add(1)
			}
		})
	}
	close(ready)
	wg.Wait()
	fmt.Fprintf(b.out, "  burst of %d DISCOVERs: %d offers, %d dropped (target 0) in %v\n", n, got.Load(), int64(n)-got.Load(), time.Since(start).Round(time.Millisecond))
	return nil
}

// tftpLoad runs n concurrent transfers of ipxe.efi and checks every byte count.
func (b *bench) tftpLoad(n int) error {
	st, err := os.Stat(filepath.Join(b.ipxe, "ipxe.efi"))
	if err != nil {
		return fmt.Errorf("ipxe.efi: %w (install Debian's ipxe package)", err)
	}
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	cpu0 := b.cpu()
	start := time.Now()
	for range n {
		wg.Go(func() {
			got, _, err := tftp.Get(b.tftp, "ipxe.efi", 1468, 2*time.Second, io.Discard)
			if err == nil && got != st.Size() {
				err = fmt.Errorf("got %d of %d bytes", got, st.Size())
			}
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	fmt.Fprintf(b.out, "  TFTP: %d concurrent transfers of ipxe.efi (%d KiB, blksize 1468): %d failed (target 0) in %v, %.0f MiB/s, server CPU %v\n",
		n, st.Size()>>10, failed.Load(), el.Round(time.Millisecond), float64(int64(n)*st.Size())/el.Seconds()/(1<<20), (b.cpu() - cpu0).Round(time.Millisecond))
	if err, _ := firstErr.Load().(error); err != nil {
		fmt.Fprintf(b.out, "  first TFTP failure: %v\n", err)
	}
	return nil
}

// cpu returns the server's user+system CPU time.
func (b *bench) cpu() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", b.pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

func numCPU() int {
	data, _ := os.ReadFile("/proc/cpuinfo")
	return max(strings.Count(string(data), "processor\t:"), 1)
}
