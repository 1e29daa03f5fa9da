// Package store defines Ingot's state store: the persistence contract the
// API and the deployment engine share. server/store/sqlstore implements it
// for SQLite and PostgreSQL; server/store/storetest is the conformance suite
// both run.
package store

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"ingot.dev/ingot/api"
)

// ErrNotFound is returned when the named object does not exist.
var ErrNotFound = errors.New("not found")

// ErrLeaseLost is returned by SaveDeployment when the caller no longer holds
// the deployment's lease (another engine took it over).
var ErrLeaseLost = errors.New("deployment lease lost")

// ConflictError is returned when a write would break a uniqueness rule or a
// reference. Field is a JSON path into the request body ("macs[1]", "name").
type ConflictError struct {
	Field   string
	Message string
}

func (e *ConflictError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }

// ListOptions pages through a list ordered by the object's key.
type ListOptions struct {
	Limit  int    // at most this many; 0 means 100; capped at 1000
	Cursor string // the key after which to start (exclusive); from Page.NextCursor
}

// HostFilter narrows ListHosts.
type HostFilter struct {
	ListOptions
	Hostgroup string
	State     api.HostState
}

// DeploymentFilter narrows ListDeployments; deployments are ordered by ID,
// and IDs sort by creation time.
type DeploymentFilter struct {
	ListOptions
	Host      string
	Hostgroup string
	State     api.DeploymentState
}

// Lease is an engine's claim on a deployment. Writes are fenced by it.
type Lease struct {
	Owner string
	Until time.Time
}

// Claim asks for runnable deployments.
type Claim struct {
	Owner string
	TTL   time.Duration
	Limit int
	// GlobalCap is the most deployments that may be started (not pending,
	// not terminal) at once; 0 means no cap. Pending deployments are only
	// claimed while they fit under it and under their hostgroup's
	// MaxConcurrent.
	GlobalCap int
	Now       time.Time
}

// DHCPLease is a full-DHCP lease.
type DHCPLease struct {
	MAC     api.MAC
	Addr    netip.Addr
	Expires time.Time
}

// Store is everything Ingot keeps. All methods are safe for concurrent use.
type Store interface {
	CreateImage(ctx context.Context, img api.Image) (api.Image, error)
	GetImage(ctx context.Context, id string) (api.Image, error)
	ListImages(ctx context.Context, opt ListOptions) (api.Page[api.Image], error)
	DeleteImage(ctx context.Context, id string) error // ConflictError while a set uses it

	CreateImageSet(ctx context.Context, s api.ImageSet) (api.ImageSet, error) // ConflictError on name, unknown image
	GetImageSet(ctx context.Context, name string) (api.ImageSet, error)
	ListImageSets(ctx context.Context, opt ListOptions) (api.Page[api.ImageSet], error)
	UpdateImageSet(ctx context.Context, s api.ImageSet) (api.ImageSet, error) // clears the recorded check
	// RecordImageSetCheck stores the outcome of a check of the set as it
	// was at updatedAt; ConflictError "updated_at" if it changed since.
	RecordImageSetCheck(ctx context.Context, name string, updatedAt time.Time, c api.ImageSetCheck) error
	DeleteImageSet(ctx context.Context, name string) error // ConflictError while a hostgroup uses it

	CreateHostgroup(ctx context.Context, g api.Hostgroup) (api.Hostgroup, error) // ConflictError on name, unknown image set
	GetHostgroup(ctx context.Context, name string) (api.Hostgroup, error)
	ListHostgroups(ctx context.Context, opt ListOptions) (api.Page[api.Hostgroup], error)
	UpdateHostgroup(ctx context.Context, g api.Hostgroup) (api.Hostgroup, error)
	DeleteHostgroup(ctx context.Context, name string) error // ConflictError while hosts use it

	CreateHost(ctx context.Context, h api.Host) (api.Host, error) // ConflictError on name, a MAC in use ("macs[i]"), unknown hostgroup
	GetHost(ctx context.Context, name string) (api.Host, error)
	GetHostByMAC(ctx context.Context, mac api.MAC) (api.Host, error)
	ListHosts(ctx context.Context, f HostFilter) (api.Page[api.Host], error)
	UpdateHost(ctx context.Context, h api.Host) (api.Host, error) // replaces MACs too
	DeleteHost(ctx context.Context, name string) error

	// Credentials keep Sealed (already encrypted by the caller) and never
	// the plain password; api.Credential.Password is always empty here.
	PutCredential(ctx context.Context, c api.Credential, sealed []byte) (api.Credential, error)
	GetCredential(ctx context.Context, name string) (api.Credential, []byte, error)
	ListCredentials(ctx context.Context, opt ListOptions) (api.Page[api.Credential], error)
	DeleteCredential(ctx context.Context, name string) error

	// Recovery keys keep the sealed passphrase (encrypted by the caller),
	// one per host and LUKS volume; api.RecoveryKey.Passphrase is always
	// empty here. RecoveryKeys of a host without any is an empty list.
	PutRecoveryKey(ctx context.Context, k api.RecoveryKey, sealed []byte) (api.RecoveryKey, error)
	RecoveryKeys(ctx context.Context, host string) ([]api.RecoveryKey, [][]byte, error)

	// Tokens are looked up by the hash of their secret; Secret is never stored.
	CreateToken(ctx context.Context, t api.Token, hash []byte) (api.Token, error)
	TokenByHash(ctx context.Context, hash []byte) (api.Token, error)
	ListTokens(ctx context.Context, opt ListOptions) (api.Page[api.Token], error)
	DeleteToken(ctx context.Context, id string) error
	CountTokens(ctx context.Context) (int, error)

	AppendAudit(ctx context.Context, entries ...api.AuditEntry) error                 // one transaction for all
	ListAudit(ctx context.Context, opt ListOptions) (api.Page[api.AuditEntry], error) // newest first; cursor is a seq

	// CreateDeployments inserts all or none, with a deployment.created event each.
	CreateDeployments(ctx context.Context, ds []api.Deployment) error
	GetDeployment(ctx context.Context, id api.DeploymentID) (api.Deployment, error)
	ListDeployments(ctx context.Context, f DeploymentFilter) (api.Page[api.Deployment], error)
	// ActiveDeployment returns the host's non-terminal deployment, or ErrNotFound.
	ActiveDeployment(ctx context.Context, host string) (api.Deployment, error)

	// ClaimDeployments leases runnable deployments to c.Owner: not terminal,
	// wake time reached, and unleased or lease expired. See Claim for caps.
	ClaimDeployments(ctx context.Context, c Claim) ([]api.Deployment, error)
	// SaveDeployment writes d (state, steps, error, times), appends events
	// (their Seq and Deployment are filled in), extends the lease to
	// lease.Until and sets the next wake time (zero: only a signal or
	// RequestCancel wakes it). ErrLeaseLost if lease.Owner does not hold it.
	SaveDeployment(ctx context.Context, lease Lease, d api.Deployment, wake time.Time, events []api.Event) error
	// ReleaseDeployment drops the lease so another claim can take it at once.
	ReleaseDeployment(ctx context.Context, id api.DeploymentID, owner string) error
	// ReleaseAll drops every lease (single-node start-up after a crash).
	ReleaseAll(ctx context.Context) error
	// RequestCancel marks the deployment for cancellation and wakes it.
	RequestCancel(ctx context.Context, id api.DeploymentID) error

	// AddSignal stores a signal for the deployment and wakes it.
	AddSignal(ctx context.Context, id api.DeploymentID, s api.Signal) error
	Signals(ctx context.Context, id api.DeploymentID) ([]api.Signal, error) // oldest first

	// AppendEvents appends events outside a lease (API-side notes).
	AppendEvents(ctx context.Context, events []api.Event) error
	Events(ctx context.Context, id api.DeploymentID, afterSeq int64, limit int) ([]api.Event, error)

	// Leases of full-DHCP mode, one per MAC; an address is leased to one
	// MAC at a time (ConflictError "addr").
	GetLease(ctx context.Context, mac api.MAC) (DHCPLease, error)
	PutLease(ctx context.Context, l DHCPLease) error
	ListLeases(ctx context.Context) ([]DHCPLease, error)
	ExpireLeases(ctx context.Context, before time.Time) (int, error)

	// Rollouts keep their plan; their progress is derived from the
	// deployments they created.
	CreateRollout(ctx context.Context, r api.Rollout) error // ConflictError "id"
	GetRollout(ctx context.Context, id api.RolloutID) (api.Rollout, error)
	ActiveRollouts(ctx context.Context) ([]api.Rollout, error) // not finished, oldest first
	FinishRollout(ctx context.Context, id api.RolloutID, at time.Time) error

	// BMC quirks, one entry per BMC endpoint. PutBMCQuirks creates or
	// replaces it and sets UpdatedAt; Quirks must be JSON.
	PutBMCQuirks(ctx context.Context, q api.BMCQuirks) (api.BMCQuirks, error)
	GetBMCQuirks(ctx context.Context, endpoint string) (api.BMCQuirks, error)
	ListBMCQuirks(ctx context.Context, opt ListOptions) (api.Page[api.BMCQuirks], error) // by endpoint
	DeleteBMCQuirks(ctx context.Context, endpoint string) error
	Builds
	HostImages

	Ping(ctx context.Context) error
	Close() error
}

// BuildFilter narrows ListBuilds; builds are listed newest first.
type BuildFilter struct {
	ListOptions
	State api.BuildState
}

// Builds keeps image build jobs and their logs. A running build belongs to
// one owner (a server process) that proves it is alive by saving it.
type Builds interface {
	CreateBuild(ctx context.Context, b api.Build) error // ConflictError "id"
	GetBuild(ctx context.Context, id api.BuildID) (api.Build, error)
	ListBuilds(ctx context.Context, f BuildFilter) (api.Page[api.Build], error)
	// ClaimBuild moves the oldest queued build to running for owner, or
	// returns ErrNotFound when none is queued.
	ClaimBuild(ctx context.Context, owner string, now time.Time) (api.Build, error)
	// SaveBuild writes a running build's phase, progress, state, error,
	// image and finish time, and marks owner alive at now. It returns the
	// stored build (whose Cancel may have been set meanwhile), or
	// ErrLeaseLost if the build is no longer running for owner.
	SaveBuild(ctx context.Context, owner string, b api.Build, now time.Time) (api.Build, error)
	// CancelBuild cancels a queued build at once and marks a running one
	// for cancellation; a finished build is returned unchanged.
	CancelBuild(ctx context.Context, id api.BuildID, now time.Time) (api.Build, error)
	// FailStaleBuilds fails every running build whose owner was last alive
	// before before (a crashed or restarted server), with reason as error.
	FailStaleBuilds(ctx context.Context, before time.Time, reason string, now time.Time) (int, error)
	// AppendBuildLog appends lines (their Seq is filled in) and keeps only
	// the newest keep lines of the build's log.
	AppendBuildLog(ctx context.Context, id api.BuildID, lines []api.BuildLogLine, keep int) error
	// BuildLog returns up to limit lines after seq afterSeq, oldest first.
	BuildLog(ctx context.Context, id api.BuildID, afterSeq int64, limit int) ([]api.BuildLogLine, error)
}

// HostImages keeps the records of transient per-host images.
type HostImages interface {
	// PutHostImage records hi, replacing the record of the same ID (the
	// same host config on the same base makes the same image).
	PutHostImage(ctx context.Context, hi api.HostImage) error
	ListHostImages(ctx context.Context) ([]api.HostImage, error) // oldest first
	DeleteHostImage(ctx context.Context, id string) error
}
