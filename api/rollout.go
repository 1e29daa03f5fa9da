package api

import "time"

// RolloutID identifies a rollout.
type RolloutID string

// Rollout deploys a hostgroup's hosts in phases: canaries first, then
// batches, stopping at a failure threshold. Its progress is derived from
// the deployments it created, so it resumes after a restart.
type Rollout struct {
	ID          RolloutID `json:"id" readOnly:"true"`
	Hostgroup   string    `json:"hostgroup" pattern:"^[a-z0-9][a-z0-9._-]{0,62}$"`
	ImageSet    string    `json:"image_set,omitempty" readOnly:"true"`
	Hosts       []string  `json:"hosts,omitempty" readOnly:"true" doc:"The hostgroup's hosts when the rollout started, in rollout order."`
	Canary      int       `json:"canary" minimum:"0" maximum:"1000" doc:"Hosts deployed first; all must succeed before the batches start."`
	Batch       int       `json:"batch" minimum:"1" maximum:"10000" doc:"Hosts per batch; a batch starts when the previous one is done."`
	MaxFailures float64   `json:"max_failures_percent" minimum:"0" maximum:"100" doc:"No new deployments start once more than this percent of the hosts failed."`
	Timeout     string    `json:"timeout,omitempty" maxLength:"32" doc:"Deadline per deployment as a Go duration; default the server's."`
	CreatedBy   string    `json:"created_by,omitempty" readOnly:"true"`
	CreatedAt   time.Time `json:"created_at,omitzero" readOnly:"true"`
	FinishedAt  time.Time `json:"finished_at,omitzero" readOnly:"true"`
}

// RolloutPhase names where a host is in a rollout.
type RolloutPhase string

// Rollout phases of a host.
const (
	PhaseWaiting   RolloutPhase = "waiting"   // not started yet
	PhaseRunning   RolloutPhase = "running"   // its deployment is not terminal
	PhaseSucceeded RolloutPhase = "succeeded" // its deployment succeeded
	PhaseFailed    RolloutPhase = "failed"    // failed or cancelled
)

// RolloutSummary is a rollout's live progress.
type RolloutSummary struct {
	Rollout  Rollout              `json:"rollout"`
	State    string               `json:"state" doc:"running, stopped (failure threshold or a failed canary) or done."`
	Counts   map[RolloutPhase]int `json:"counts" doc:"Hosts per phase."`
	Canaries map[RolloutPhase]int `json:"canaries"`
	Failures []RolloutFailure     `json:"failures,omitempty"`
}

// RolloutFailure is one failed host of a rollout and why.
type RolloutFailure struct {
	Host       string       `json:"host"`
	Deployment DeploymentID `json:"deployment"`
	Error      *StepError   `json:"error,omitempty"`
}
