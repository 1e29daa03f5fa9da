package engine

import (
	"fmt"

	"ingot.dev/ingot/api"
)

// Event drives the deployment state machine.
type Event string

// Engine events.
const (
	Start       Event = "start"       // the engine picks up a pending deployment
	Finish      Event = "finish"      // every step succeeded
	Fail        Event = "fail"        // a step failed
	Cancel      Event = "cancel"      // an operator asked to cancel
	Timeout     Event = "timeout"     // the deadline passed
	Compensated Event = "compensated" // every done step has been undone
)

// CodeCancelled is the StepError code of a deployment cancelled on request.
// When compensation ends, a deployment whose Error has this code ends
// cancelled rather than failed.
const CodeCancelled = "cancelled"

type transition struct {
	from api.DeploymentState
	on   Event
}

// transitions is the whole deployment state machine. Anything not listed is
// refused.
var transitions = map[transition]api.DeploymentState{
	{api.DeploymentPending, Start}:            api.DeploymentRunning,
	{api.DeploymentPending, Cancel}:           api.DeploymentCancelled,
	{api.DeploymentRunning, Finish}:           api.DeploymentSucceeded,
	{api.DeploymentRunning, Fail}:             api.DeploymentCompensating,
	{api.DeploymentRunning, Timeout}:          api.DeploymentCompensating,
	{api.DeploymentRunning, Cancel}:           api.DeploymentCompensating,
	{api.DeploymentCompensating, Compensated}: api.DeploymentFailed,
}

// Next returns the state a deployment in state s moves to on event e, or an
// error if the state machine has no such transition. Compensated always
// leads to failed here; use NextFor to honour a cancel as the cause.
func Next(s api.DeploymentState, e Event) (api.DeploymentState, error) {
	to, ok := transitions[transition{s, e}]
	if !ok {
		return "", fmt.Errorf("deployment state %q has no transition on %q", s, e)
	}
	return to, nil
}

// NextFor is Next for a whole deployment: a compensation whose cause was a
// cancel request (d.Error.Code == CodeCancelled) ends cancelled, not failed.
func NextFor(d api.Deployment, e Event) (api.DeploymentState, error) {
	to, err := Next(d.State, e)
	if err != nil {
		return "", fmt.Errorf("deployment %s: %w", d.ID, err)
	}
	if e == Compensated && d.Error != nil && d.Error.Code == CodeCancelled {
		return api.DeploymentCancelled, nil
	}
	return to, nil
}
