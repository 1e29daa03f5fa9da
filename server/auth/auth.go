// Package auth decides who may do what: it validates and matches token
// scopes, mints API token secrets, and derives per-deployment installer
// secrets that the server can recompute without storing them.
//
// A scope is one of
//
//	admin
//	host:read
//	imageset:manage:<name>     imageset:deploy:<name>
//	hostgroup:manage:<name>    hostgroup:deploy:<name>
//	host:recovery:<name>
//	installer:<deployment-id>  (issued by the server only)
//
// The <name> of a granted scope may be a path.Match glob such as
// "hostgroup:deploy:rack-*" or "imageset:manage:*". A glob matches only the
// name part: it never reaches across a ':' into the kind or action.
package auth
