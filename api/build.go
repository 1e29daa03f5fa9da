package api

import "time"

// BuildID identifies an image build job.
type BuildID string

// BuildState is the state of a build job. Transitions are owned by
// server/builds; compare with the constants, never with literals.
type BuildState string

// Build states: queued → running → succeeded | failed | cancelled; a queued
// build can also be cancelled before it starts.
const (
	BuildQueued    BuildState = "queued"
	BuildRunning   BuildState = "running"
	BuildSucceeded BuildState = "succeeded"
	BuildFailed    BuildState = "failed"
	BuildCancelled BuildState = "cancelled"
)

// Terminal reports whether no more work happens in state s.
func (s BuildState) Terminal() bool {
	return s == BuildSucceeded || s == BuildFailed || s == BuildCancelled
}

// BuildPhase is where a running build is.
type BuildPhase string

// Build phases, in order.
const (
	PhaseQueued   BuildPhase = "queued"
	PhaseBackend  BuildPhase = "backend"  // the backend makes a tree or payloads
	PhaseAssemble BuildPhase = "assemble" // a tree becomes a bootable disk
	PhasePublish  BuildPhase = "publish"  // payloads are chunked into the chunk store
	PhaseRegister BuildPhase = "register" // manifest signed, image and image set recorded
	PhaseDone     BuildPhase = "done"
)

// BuildRequest asks the server to build an image from a recipe.
type BuildRequest struct {
	Recipe     RawJSON `json:"recipe" doc:"The recipe (what ingot image build --local takes), as JSON; decoded strictly."`
	ImageSet   string  `json:"image_set,omitempty" pattern:"^[a-z0-9][a-z0-9._-]{0,62}$" doc:"The image set the result lands in (created if missing); default the recipe's name."`
	SecureBoot bool    `json:"secure_boot,omitempty" doc:"The variant is the secure-boot one."`
}

// Build is an image build job.
type Build struct {
	ID         BuildID    `json:"id"`
	Name       string     `json:"name" doc:"The recipe's name."`
	Backend    string     `json:"backend"`
	Recipe     RawJSON    `json:"recipe" doc:"The recipe with defaults filled in."`
	ImageSet   string     `json:"image_set"`
	SecureBoot bool       `json:"secure_boot,omitempty"`
	State      BuildState `json:"state" enum:"queued,running,succeeded,failed,cancelled"`
	Phase      BuildPhase `json:"phase"`
	Percent    int        `json:"percent" doc:"Progress of the phase, 0-100; -1 when not known."`
	Error      string     `json:"error,omitempty"`
	Image      string     `json:"image,omitempty" doc:"The built image's ID once registered."`
	Cancel     bool       `json:"cancel_requested,omitempty"`
	CreatedBy  string     `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  time.Time  `json:"started_at,omitzero"`
	FinishedAt time.Time  `json:"finished_at,omitzero"`
}

// BuildLogLine is one line of a build's log.
type BuildLogLine struct {
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"`
	Line string    `json:"line"`
}
