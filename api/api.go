// Package api defines Ingot's wire types: the resources of the /v1 HTTP API,
// shared by the server, its store, the Go client and the CLI.
package api

import (
	"encoding/json"
	"time"
)

// Page is one page of a list endpoint. NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as ?cursor= to get the next page; empty on the last page."`
}

// Problem is an RFC 9457 problem detail as the API returns it.
type Problem struct {
	Type   string          `json:"type,omitempty"`
	Title  string          `json:"title,omitempty"`
	Status int             `json:"status,omitempty"`
	Detail string          `json:"detail,omitempty"`
	Errors []ProblemDetail `json:"errors,omitempty"`
}

// ProblemDetail names one invalid input: where it is and what is wrong.
type ProblemDetail struct {
	Message  string `json:"message,omitempty"`
	Location string `json:"location,omitempty"`
	Value    any    `json:"value,omitempty"`
}

func (p *Problem) Error() string {
	msg := p.Title
	if p.Detail != "" {
		msg += ": " + p.Detail
	}
	for _, e := range p.Errors {
		msg += "; " + e.Location + ": " + e.Message
	}
	return msg
}

// AuditEntry records one mutating API call.
type AuditEntry struct {
	Seq      int64     `json:"seq"`
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor" doc:"Name of the token that made the call."`
	Method   string    `json:"method"`
	Path     string    `json:"path"`
	Status   int       `json:"status"`
	Resource string    `json:"resource,omitempty"`
}

// Credential is a named secret (a BMC login). The password is write-only.
type Credential struct {
	Name      string    `json:"name" pattern:"^[a-z0-9][a-z0-9._-]{0,62}$"`
	Username  string    `json:"username" maxLength:"256"`
	Password  string    `json:"password,omitempty" maxLength:"1024" writeOnly:"true" doc:"Write-only: never returned."`
	CreatedAt time.Time `json:"created_at,omitzero" readOnly:"true"`
}

// RawJSON is free-form JSON kept as sent.
type RawJSON = json.RawMessage
