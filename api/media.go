package api

import "time"

// MediaTicket is a one-time URL of a host's installer ISO: the first client
// that uses it owns it until it expires or the deployment moves past its
// installer.
type MediaTicket struct {
	Deployment DeploymentID `json:"deployment"`
	URL        string       `json:"url" doc:"The one-time URL under the server's public URL."`
	Path       string       `json:"path" doc:"The URL's path, to join with another base URL of the same server."`
	ExpiresAt  time.Time    `json:"expires_at"`
}
