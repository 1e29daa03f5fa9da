package redfish

import "log/slog"

// Secret is a password. It prints and logs as "REDACTED"; use string(s) to
// read it.
type Secret string

// String hides the secret from fmt.
func (Secret) String() string { return "REDACTED" }

// GoString hides the secret from %#v.
func (Secret) GoString() string { return `"REDACTED"` }

// LogValue hides the secret from slog.
func (Secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// MarshalText hides the secret from encoders.
func (Secret) MarshalText() ([]byte, error) { return []byte("REDACTED"), nil }
