package api

import "time"

// BMCQuirks is what the server knows about one BMC, keyed by its endpoint:
// the kind of BMC and how it deviates from the Redfish standard. A probe
// (POST /v1/hosts/{name}/bmc/probe) writes it; every later Redfish call the
// server makes to that BMC starts from it, and what those calls learn is
// written back.
type BMCQuirks struct {
	Endpoint string `json:"endpoint" maxLength:"512" doc:"The BMC's Redfish URL, as hosts name it."`
	Vendor   string `json:"vendor,omitempty"`
	Model    string `json:"model,omitempty"`
	Firmware string `json:"firmware,omitempty"`
	// Quirks is the redfish package's Quirks as JSON: resource paths,
	// advertised boot targets and media types, If-Match and
	// @Redfish.Settings needs, Inserted accepted or not.
	Quirks   RawJSON   `json:"quirks"`
	Findings []string  `json:"findings,omitempty" doc:"What the last probe found, one line each."`
	Source   string    `json:"source" enum:"probe,learned" doc:"probe: written by a probe; learned: by a deployment's Redfish calls."`
	ProbedAt time.Time `json:"probed_at,omitzero" doc:"When the last probe ran; zero if the BMC was never probed."`
	// UpdatedAt is when the quirks last changed.
	UpdatedAt time.Time `json:"updated_at,omitzero" readOnly:"true"`
}

// BMCQuirks sources.
const (
	QuirksFromProbe   = "probe"
	QuirksFromLearned = "learned"
)

// BMCProbeRequest asks the server to probe a host's BMC.
type BMCProbeRequest struct {
	// Active also tries the writes: a one-time boot override (restored
	// afterwards) and, with MediaURL, a virtual media insert and eject.
	Active   bool   `json:"active,omitempty"`
	MediaURL string `json:"media_url,omitempty" format:"uri" maxLength:"2048" doc:"Image URL the BMC can fetch, for the media trial."`
}

// BMCProbe is the outcome of a probe: the stored quirks and what the probe
// cost.
type BMCProbe struct {
	Host   string    `json:"host"`
	Quirks BMCQuirks `json:"quirks"`
	Calls  int64     `json:"calls" doc:"Redfish calls the probe made."`
}

// HostImportRequest registers hosts from their BMCs' Redfish inventory.
type HostImportRequest struct {
	Redfish    []string `json:"redfish" minItems:"1" maxItems:"1000" doc:"BMC Redfish URLs, like https://10.0.0.9."`
	Hostgroup  string   `json:"hostgroup,omitempty" pattern:"^[a-z0-9][a-z0-9._-]{0,62}$" doc:"Put new hosts (and move existing ones) into this group."`
	Credential string   `json:"credential,omitempty" pattern:"^[a-z0-9][a-z0-9._-]{0,62}$" doc:"Stored credential to log in to the BMCs with, kept on the hosts."`
}

// HostImportResult is one BMC's outcome: the host created or updated, or
// the error that stopped it (other BMCs go on).
type HostImportResult struct {
	Endpoint string `json:"endpoint"`
	Host     string `json:"host,omitempty"`
	Action   string `json:"action,omitempty" enum:"created,updated,unchanged"`
	// Inventory is what the BMC told: identity, NICs, disks where exposed.
	Inventory *BMCInventory `json:"inventory,omitempty"`
	Error     string        `json:"error,omitempty"`
}

// BMCInventory is what a BMC tells about its machine over Redfish.
type BMCInventory struct {
	SystemUUID   string    `json:"system_uuid,omitempty"`
	Serial       string    `json:"serial,omitempty"`
	HostName     string    `json:"hostname,omitempty"`
	Manufacturer string    `json:"manufacturer,omitempty"`
	Model        string    `json:"model,omitempty"`
	BMCFirmware  string    `json:"bmc_firmware,omitempty"`
	PowerState   string    `json:"power_state,omitempty"`
	CPUs         int       `json:"cpus,omitempty"`
	MemoryGiB    float64   `json:"memory_gib,omitempty"`
	MACs         []MAC     `json:"macs,omitempty"`
	Disks        []BMCDisk `json:"disks,omitempty" doc:"Empty when the BMC exposes no Storage."`
}

// BMCDisk is one drive a BMC shows.
type BMCDisk struct {
	Name      string `json:"name"`
	Model     string `json:"model,omitempty"`
	Serial    string `json:"serial,omitempty"`
	SizeBytes int64  `json:"size_bytes,omitempty"`
	Media     string `json:"media,omitempty"`
	Protocol  string `json:"protocol,omitempty"`
}

// HostImportResponse lists every BMC's outcome, in request order.
type HostImportResponse struct {
	Results []HostImportResult `json:"results"`
}
