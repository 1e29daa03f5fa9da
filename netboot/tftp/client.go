package tftp

import (
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/pin/tftp/v3"
)

// Get fetches name from the server at addr into w with the given block size
// (0: 512) and the tsize option. It is the client for tests and benches.
func Get(addr netip.AddrPort, name string, blksize int, timeout time.Duration, w io.Writer) (n, tsize int64, err error) {
	c, err := tftp.NewClient(addr.String())
	if err != nil {
		return 0, 0, fmt.Errorf("tftp client: %w", err)
	}
	if blksize > 0 {
		c.SetBlockSize(blksize)
	}
	if timeout > 0 {
		c.SetTimeout(timeout)
	}
	c.RequestTSize(true)
	wt, err := c.Receive(name, "octet")
	if err != nil {
		return 0, 0, fmt.Errorf("tftp get %s: %w", name, err)
	}
	if in, ok := wt.(tftp.IncomingTransfer); ok {
		tsize, _ = in.Size()
	}
	n, err = wt.WriteTo(w)
	if err != nil {
		return n, tsize, fmt.Errorf("tftp get %s: %w", name, err)
	}
	return n, tsize, nil
}

// Put tries to write name to the server; Ingot's server refuses. For tests.
func Put(addr netip.AddrPort, name string, r io.Reader) error {
	c, err := tftp.NewClient(addr.String())
	if err != nil {
		return fmt.Errorf("tftp client: %w", err)
	}
	c.SetTimeout(time.Second)
	c.SetRetries(1)
	rf, err := c.Send(name, "octet")
	if err != nil {
		return fmt.Errorf("tftp put %s: %w", name, err)
	}
	if _, err := rf.ReadFrom(r); err != nil {
		return fmt.Errorf("tftp put %s: %w", name, err)
	}
	return nil
}
