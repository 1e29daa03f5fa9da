package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"ingot.dev/ingot/api"
)

// Types of the events the engine appends to a deployment's log.
const (
	TypeDeploymentStarted      = "deployment.started"
	TypeDeploymentCompensating = "deployment.compensating"
	TypeDeploymentSucceeded    = "deployment.succeeded"
	TypeDeploymentFailed       = "deployment.failed"
	TypeDeploymentCancelled    = "deployment.cancelled"
	TypeStepStarted            = "step.started"
	TypeStepResumed            = "step.resumed"
	TypeStepWaiting            = "step.waiting"
	TypeStepProgress           = "step.progress" // Data is an api.Progress
	TypeStepSucceeded          = "step.succeeded"
	TypeStepFailed             = "step.failed"
	TypeStepSkipped            = "step.skipped"
	TypeStepUndoing            = "step.undoing"
	TypeStepUndone             = "step.undone"
	TypeStepUndoFailed         = "step.undo_failed"
)

// DeploymentStep is the Step index of deployment-level events.
const DeploymentStep = -1

// StepError codes set by the engine itself. Steps choose their own codes.
const (
	CodeTimeout = "timeout" // the deployment deadline passed
	CodePanic   = "panic"   // the step's code panicked
	CodeInvalid = "invalid" // the step could not be built from its params
	CodeFailed  = "failed"  // the step returned a plain error
	CodeUndo    = "undo"    // the step's Undo failed
)

// durationData is the Data of step.succeeded and step.undone events.
type durationData struct {
	DurationMS int64  `json:"duration_ms"`
	Duration   string `json:"duration"`
}

func durationOf(d time.Duration) durationData {
	return durationData{DurationMS: d.Milliseconds(), Duration: d.Round(time.Millisecond).String()}
}

// mustJSON encodes engine-owned values that always encode.
func mustJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("engine: encoding event data: %v", err))
	}
	return b
}

// stepError turns whatever a step returned into a StepError for step name.
func stepError(name string, err error) *api.StepError {
	var se *api.StepError
	if errors.As(err, &se) {
		out := *se
		out.Step = name
		if out.Code == "" {
			out.Code = CodeFailed
		}
		return &out
	}
	return &api.StepError{Step: name, Code: CodeFailed, Message: err.Error()}
}
