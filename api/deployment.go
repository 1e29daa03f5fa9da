package api

import (
	"encoding/json"
	"time"
)

// DeploymentID identifies a deployment.
type DeploymentID string

// DeploymentState is the state of a deployment. Transitions are owned by
// server/engine; compare with the constants, never with literals.
type DeploymentState string

// Deployment states.
const (
	DeploymentPending      DeploymentState = "pending"
	DeploymentRunning      DeploymentState = "running"
	DeploymentCompensating DeploymentState = "compensating"
	DeploymentSucceeded    DeploymentState = "succeeded"
	DeploymentFailed       DeploymentState = "failed"
	DeploymentCancelled    DeploymentState = "cancelled"
)

// Terminal reports whether no more work happens in state s.
func (s DeploymentState) Terminal() bool {
	return s == DeploymentSucceeded || s == DeploymentFailed || s == DeploymentCancelled
}

// StepStatus is the state of one step of a deployment.
type StepStatus string

// Step statuses.
const (
	StepPending    StepStatus = "pending"
	StepRunning    StepStatus = "running"
	StepWaiting    StepStatus = "waiting"
	StepSucceeded  StepStatus = "succeeded"
	StepFailed     StepStatus = "failed"
	StepUndoing    StepStatus = "undoing"
	StepUndone     StepStatus = "undone"
	StepUndoFailed StepStatus = "undo_failed"
	StepSkipped    StepStatus = "skipped"
)

// Deployment is one attempt to put a host image on a host.
type Deployment struct {
	ID         DeploymentID    `json:"id"`
	Host       string          `json:"host"`
	Hostgroup  string          `json:"hostgroup"`
	ImageSet   string          `json:"image_set"`
	State      DeploymentState `json:"state"`
	Steps      []Step          `json:"steps"`
	Error      *StepError      `json:"error,omitempty"`
	CreatedBy  string          `json:"created_by,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	StartedAt  time.Time       `json:"started_at,omitzero"`
	FinishedAt time.Time       `json:"finished_at,omitzero"`
	Deadline   time.Time       `json:"deadline,omitzero" doc:"The deployment fails and compensates if not done by then."`
	Cancel     bool            `json:"cancel_requested,omitempty"`
}

// Step is one entry of a deployment's checklist.
type Step struct {
	Name       string          `json:"name" doc:"Kind of step, e.g. plan, boot, wait-installer."`
	Params     json.RawMessage `json:"params,omitempty"`
	Status     StepStatus      `json:"status"`
	Attempts   int             `json:"attempts,omitempty"`
	StartedAt  time.Time       `json:"started_at,omitzero"`
	FinishedAt time.Time       `json:"finished_at,omitzero"`
	Progress   *Progress       `json:"progress,omitempty"`
	Error      *StepError      `json:"error,omitempty"`
}

// Progress is how far a byte-moving step has come.
type Progress struct {
	Bytes int64 `json:"bytes"`
	Total int64 `json:"total,omitempty"`
}

// StepError is a structured failure a person can act on.
type StepError struct {
	Step    string `json:"step,omitempty"`
	Code    string `json:"code" doc:"Stable machine-readable cause, e.g. timeout, installer, undo."`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty" doc:"What to do about it."`
}

func (e *StepError) Error() string {
	msg := e.Message
	if e.Step != "" {
		msg = e.Step + ": " + msg
	}
	return msg
}

// Event is one entry in a deployment's event log.
type Event struct {
	Seq        int64           `json:"seq"`
	Deployment DeploymentID    `json:"deployment"`
	Time       time.Time       `json:"time"`
	Step       int             `json:"step" doc:"Index of the step, or -1 for the deployment itself."`
	Type       string          `json:"type" doc:"e.g. step.started, step.succeeded, step.failed, step.undone, deployment.succeeded."`
	Message    string          `json:"message,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
}

// Signal is input from outside the engine for a waiting step: the installer
// reporting progress or an outcome, the first boot phoning home, an operator.
type Signal struct {
	Name string          `json:"name" pattern:"^[a-z0-9][a-z0-9._-]{0,62}$" doc:"e.g. installer.done, installer.failed, installer.progress, firstboot."`
	Data json.RawMessage `json:"data,omitempty"`
	Time time.Time       `json:"time,omitzero" readOnly:"true"`
}

// Token is an API bearer token. The secret is shown once, at creation.
type Token struct {
	ID        string    `json:"id" readOnly:"true"`
	Name      string    `json:"name" pattern:"^[a-zA-Z0-9][a-zA-Z0-9._:@-]{0,127}$"`
	Scopes    []string  `json:"scopes" minItems:"1" maxItems:"64"`
	Host      string    `json:"host,omitempty" readOnly:"true" doc:"Set on installer tokens: the host the token is bound to."`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	CreatedAt time.Time `json:"created_at,omitzero" readOnly:"true"`
	Secret    string    `json:"secret,omitempty" readOnly:"true" doc:"Only in the answer to create."`
}

// DeployRequest asks for deployments of hosts.
type DeployRequest struct {
	Hosts   []string `json:"hosts" minItems:"1" maxItems:"10000" doc:"Host names."`
	DryRun  bool     `json:"dry_run,omitempty" doc:"Plan and show the steps without creating anything."`
	Timeout string   `json:"timeout,omitempty" maxLength:"32" doc:"Deadline per deployment as a Go duration (e.g. 90m); default 2h."`
}

// DeployResult lists the deployments created (or planned, on a dry run).
type DeployResult struct {
	DryRun      bool         `json:"dry_run,omitempty"`
	Deployments []Deployment `json:"deployments"`
}
