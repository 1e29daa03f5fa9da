package api

// KitRequest asks for an air-gap site kit: offline deployments of the
// hosts, their plans rendered for the kit, all signed by the server.
type KitRequest struct {
	Hosts     []string `json:"hosts,omitempty" maxItems:"1000" doc:"Host names; or give hostgroup."`
	Hostgroup string   `json:"hostgroup,omitempty" maxLength:"63" doc:"Every host of this hostgroup."`
	KitKey    string   `json:"kit_key" minLength:"43" maxLength:"43" doc:"The kit's ed25519 public key (base64url, 32 bytes): reports on the stick are signed with its private half, which stays on the stick."`
	KeepTang  bool     `json:"keep_tang,omitempty" doc:"Keep the Tang pins of the encryption policy (a Tang server reachable at the site); default TPM-only."`
	Timeout   string   `json:"timeout,omitempty" maxLength:"32" doc:"How long the offline deployments wait for their reports, as a Go duration; default 720h."`
}

// Kit is a signed site kit's server-made part: the kit manifest and its
// signature, and the plans it lists. Image manifests and chunks are fetched
// as usual (/v1/images/{id}/manifest, /v1/chunks/{sha256}).
type Kit struct {
	ID          string       `json:"id"`
	SigningKey  string       `json:"signing_key" doc:"The server's kit signing key (base64url); the medium's kernel command line carries it as ingot.kitkey."`
	Manifest    []byte       `json:"manifest" doc:"kit.json: every file of the kit with its sha256."`
	Signature   []byte       `json:"signature" doc:"kit.sig: ed25519 over a context string and kit.json."`
	Plans       []KitFile    `json:"plans"`
	Deployments []Deployment `json:"deployments"`
}

// KitFile is one file of a kit.
type KitFile struct {
	Path string `json:"path"`
	Data []byte `json:"data"`
}

// KitImport is the outcome of importing one report.
type KitImport struct {
	Kit          string          `json:"kit"`
	Deployment   DeploymentID    `json:"deployment"`
	Host         string          `json:"host"`
	Result       string          `json:"result" doc:"What the installer reported: succeeded or failed."`
	State        DeploymentState `json:"state" doc:"The deployment's state after the import."`
	Replayed     bool            `json:"replayed,omitempty" doc:"The report was imported before; nothing changed."`
	RecoveryKeys int             `json:"recovery_keys,omitempty" doc:"Recovery keys escrowed from the report."`
}
