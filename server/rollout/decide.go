package rollout

import "ingot.dev/ingot/api"

// pass is what one look at a rollout decides.
type pass struct {
	start    []string // hosts whose deployment starts now
	stopped  bool     // failure threshold crossed or a canary failed
	finished bool     // nothing is running and nothing more will start
}

// phase is where host stands given its deployment, if any.
func phase(d api.Deployment, ok bool) api.RolloutPhase {
	switch {
	case !ok:
		return api.PhaseWaiting
	case d.State == api.DeploymentSucceeded:
		return api.PhaseSucceeded
	case d.State.Terminal():
		return api.PhaseFailed
	}
	return api.PhaseRunning
}

// decide applies the rules: canaries first, all of them must succeed;
// then one batch at a time, each after the previous one is done; nothing
// new once more than MaxFailures percent of the hosts failed.
func decide(r api.Rollout, ds map[string]api.Deployment) pass {
	var p pass
	failed, running, canaryFailed := 0, 0, false
	nCanary := min(r.Canary, len(r.Hosts))
	for i, h := range r.Hosts {
		d, ok := ds[h]
		switch phase(d, ok) {
		case api.PhaseFailed:
			failed++
			canaryFailed = canaryFailed || i < nCanary
		case api.PhaseRunning:
			running++
		}
	}
	p.stopped = canaryFailed || float64(failed)*100 > r.MaxFailures*float64(len(r.Hosts))
	if !p.stopped {
		p.start = due(r, ds, nCanary)
	}
	p.finished = running == 0 && len(p.start) == 0 && (p.stopped || allStarted(r, ds))
	return p
}

// due lists the hosts of the first group (the canaries, then each batch)
// that is not done, if they have not started.
func due(r api.Rollout, ds map[string]api.Deployment, nCanary int) []string {
	batch := max(r.Batch, 1)
	for lo := 0; lo < len(r.Hosts); {
		hi := min(lo+batch, len(r.Hosts))
		if lo < nCanary {
			hi = nCanary
		}
		var waiting []string
		done := true
		for _, h := range r.Hosts[lo:hi] {
			d, ok := ds[h]
			switch ph := phase(d, ok); {
			case ph == api.PhaseWaiting:
				waiting, done = append(waiting, h), false
			case ph == api.PhaseRunning || (lo < nCanary && ph != api.PhaseSucceeded):
				done = false
			}
		}
		if !done {
			return waiting
		}
		lo = hi
	}
	return nil
}

func allStarted(r api.Rollout, ds map[string]api.Deployment) bool {
	for _, h := range r.Hosts {
		if _, ok := ds[h]; !ok {
			return false
		}
	}
	return true
}
