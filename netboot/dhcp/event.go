package dhcp

import (
	"net"
	"time"

	"ingot.dev/ingot/netboot/boot"
)

// Event describes one handled packet, for metrics.
type Event struct {
	Interface string
	MAC       net.HardwareAddr
	Arch      boot.ClientArch
	Known     bool
	Request   string // DISCOVER, REQUEST, ...; empty if unparsable
	Reply     string // OFFER, ACK, NAK; empty when nothing was sent
	Drop      string // why nothing was sent (Drop* constants); empty when answered
	Took      time.Duration
}

// Reasons a packet gets no answer.
const (
	DropMalformed     = "malformed"
	DropNotRequest    = "not-a-request"
	DropNotPXE        = "not-pxe"
	DropUnsupported   = "unsupported-arch"
	DropRateLimited   = "rate-limited"
	DropUnknownLimit  = "unknown-rate-limited"
	DropResolver      = "resolver-error"
	DropNoAddress     = "no-address"
	DropNotForUs      = "not-for-us"
	DropQueueFull     = "queue-full"
	DropSendFailed    = "send-failed"
	DropIgnored       = "ignored"
	DropLeaseStoreErr = "lease-store-error"
)
