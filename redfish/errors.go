package redfish

import (
	"errors"
	"fmt"
)

// Sentinel errors for the decisions callers make. Every error returned by a
// Client is an *Error that wraps one of these where it applies.
var (
	// ErrAuth: the BMC refused the credentials (HTTP 401/403). Not retried.
	ErrAuth = errors.New("credentials refused: check the BMC username and password")
	// ErrTLS: the BMC's certificate is not trusted. Not retried.
	ErrTLS = errors.New("BMC certificate not trusted: give its CA bundle (or, in a lab, allow insecure TLS)")
	// ErrTimeout: the BMC did not answer in time.
	ErrTimeout = errors.New("BMC did not answer in time")
	// ErrMalformed: the BMC answered with a body that is not valid JSON.
	ErrMalformed = errors.New("BMC sent malformed JSON")
	// ErrNotApplied: the BMC accepted a change (2xx) but reading it back shows
	// it did not happen.
	ErrNotApplied = errors.New("BMC accepted the change but did not apply it")
	// ErrUnsupported: the BMC does not offer what was asked (a boot target,
	// a reset type, virtual media).
	ErrUnsupported = errors.New("not supported by this BMC")
)

// Error is a failed call to one BMC: which BMC, which call, which HTTP
// request and status, and after how many attempts.
type Error struct {
	BMC      string // host:port
	Call     string // what Ingot was doing: "power on", "set boot override"
	Method   string // HTTP method of the failing request, if one was sent
	Path     string // its path
	Status   int    // HTTP status; 0 when no response came
	Attempts int
	Err      error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("bmc %s: %s", e.BMC, e.Call)
	if e.Method != "" {
		s += fmt.Sprintf(" (%s %s)", e.Method, e.Path)
	}
	if e.Status != 0 {
		s += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Attempts > 1 {
		s += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return s + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// statusError is a non-2xx answer with the BMC's own message.
type statusError struct {
	status  int
	message string
}

func (e *statusError) Error() string {
	if e.message == "" {
		return fmt.Sprintf("HTTP %d", e.status)
	}
	return e.message
}

// Is lets errors.Is(err, ErrAuth) match a 401 or 403.
func (e *statusError) Is(target error) bool {
	return target == ErrAuth && (e.status == 401 || e.status == 403)
}

// Status returns the HTTP status carried by err, or 0.
func Status(err error) int {
	if e, ok := errors.AsType[*statusError](err); ok {
		return e.status
	}
	return 0
}

func (c *Client) errorf(call string, format string, args ...any) error {
	return &Error{BMC: c.bmc, Call: call, Attempts: 1, Err: fmt.Errorf(format, args...)}
}
