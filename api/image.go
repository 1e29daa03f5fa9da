package api

import (
	"fmt"
	"time"
)

// Arch is a CPU architecture.
type Arch string

// Architectures Ingot deploys.
const (
	ArchAMD64 Arch = "amd64"
	ArchARM64 Arch = "arm64"
)

// Firmware is how a machine boots.
type Firmware string

// Firmware kinds.
const (
	FirmwareBIOS Firmware = "bios"
	FirmwareUEFI Firmware = "uefi"
	// FirmwareBoth marks an image that boots under either (its disk has a
	// BIOS boot loader and an ESP); it fills bios and uefi variants.
	FirmwareBoth Firmware = "both"
)

// Fits reports whether an image built for f boots a machine with firmware want.
func (f Firmware) Fits(want Firmware) bool { return f == want || f == FirmwareBoth }

// Image is a catalog record of an immutable, content-addressed image.
type Image struct {
	ID        string    `json:"id" pattern:"^sha256:[0-9a-f]{64}$" doc:"Digest of the signed manifest."`
	Name      string    `json:"name" minLength:"1" maxLength:"128"`
	Arch      Arch      `json:"arch" enum:"amd64,arm64"`
	Firmware  Firmware  `json:"firmware" enum:"bios,uefi,both"`
	OS        string    `json:"os,omitempty" maxLength:"128"`
	Size      int64     `json:"size,omitempty" minimum:"0" doc:"Logical bytes of all payloads."`
	CreatedAt time.Time `json:"created_at,omitzero" readOnly:"true"`
}

// Variant is one image of an image set, keyed by arch, firmware and secure boot.
type Variant struct {
	Arch       Arch     `json:"arch" enum:"amd64,arm64"`
	Firmware   Firmware `json:"firmware" enum:"bios,uefi"`
	SecureBoot bool     `json:"secure_boot,omitempty"`
	Image      string   `json:"image" pattern:"^sha256:[0-9a-f]{64}$"`
}

// Key identifies the variant inside its set.
func (v Variant) Key() string {
	return fmt.Sprintf("%s/%s/sb=%t", v.Arch, v.Firmware, v.SecureBoot)
}

// ImageSet is a named set of images, one per variant.
type ImageSet struct {
	Name        string    `json:"name" pattern:"^[a-z0-9][a-z0-9._-]{0,62}$"`
	Description string    `json:"description,omitempty" maxLength:"1024"`
	Variants    []Variant `json:"variants" maxItems:"16"`
	CreatedAt   time.Time `json:"created_at,omitzero" readOnly:"true"`
	UpdatedAt   time.Time `json:"updated_at,omitzero" readOnly:"true"`
	// Check is the outcome of the last full check of every variant's image
	// since the set last changed; nil when not checked since.
	Check *ImageSetCheck `json:"check,omitempty" readOnly:"true"`
}

// CheckStatus is the outcome of an image set check.
type CheckStatus string

// Check outcomes. A failed set is not deployed.
const (
	CheckOK     CheckStatus = "ok"
	CheckFailed CheckStatus = "failed"
)

// ImageSetCheck records a check of an image set: every variant's manifest
// signature and every chunk present with the right content.
type ImageSetCheck struct {
	Time   time.Time   `json:"time"`
	Status CheckStatus `json:"status" enum:"ok,failed"`
	Error  string      `json:"error,omitempty" doc:"What is broken: the variant, the image and the chunk."`
}

// HostImage is a transient per-host image: its hostgroup's base image plus
// the host's config layer. It is removed after its deployment succeeds or
// when it expires; its chunks are shared with the base except the layer's.
type HostImage struct {
	ID         string       `json:"id" doc:"Digest of the signed manifest."`
	Host       string       `json:"host"`
	Base       string       `json:"base" doc:"The base image it extends."`
	Deployment DeploymentID `json:"deployment,omitempty" doc:"Removed once this deployment succeeds."`
	NewBytes   int64        `json:"new_bytes" doc:"Bytes it added to the chunk store (layer chunks and manifest)."`
	CreatedAt  time.Time    `json:"created_at"`
	ExpiresAt  time.Time    `json:"expires_at"`
}
