package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/image/chunker"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/hostimage"
	"ingot.dev/ingot/server/store/sqlstore"
)

// benchHostImage publishes the built image into a fresh chunk store as a
// hostgroup's base and times materializing a host image on it, printing
// the time and the bytes it added (limits: 1 s, 1 MiB).
func benchHostImage(ctx context.Context, work string, a *imagebuild.Artifacts) error {
	dir := filepath.Join(work, "hostimage")
	cs, err := chunkstore.NewLocal(filepath.Join(dir, "chunks"))
	if err != nil {
		return err
	}
	mans, err := chunkstore.NewManifests(filepath.Join(dir, "manifests"))
	if err != nil {
		return err
	}
	key, err := manifest.LoadOrCreateSigningKey(filepath.Join(dir, "signing.key"))
	if err != nil {
		return err
	}
	svc := &chunkstore.Service{Store: cs, Manifests: mans, Key: key}
	m, err := imagebuild.Publish(ctx, a, chunkstore.Sink{Store: cs}, chunker.Options{})
	if err != nil {
		return err
	}
	_, base, err := svc.Finalize(ctx, *m)
	if err != nil {
		return err
	}
	st, err := sqlstore.Open(ctx, filepath.Join(dir, "ingot.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := seedHost(ctx, st, base); err != nil {
		return err
	}
	mgr := &hostimage.Manager{Store: st, Images: svc}
	start := time.Now()
	res, err := mgr.Materialize(ctx, hostimage.Request{Host: "web-001", Base: base})
	if err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Printf("host image on a %d MiB base: %v, %d new bytes in %d new chunks (limits 1 s, 1 MiB)\n",
		m.Size()>>20, took.Round(time.Millisecond), res.Image.NewBytes, res.NewChunks)
	if took > time.Second || res.Image.NewBytes > 1<<20 {
		return fmt.Errorf("host image: %v and %d new bytes is over the limits", took, res.Image.NewBytes)
	}
	return nil
}

func seedHost(ctx context.Context, st *sqlstore.Store, base string) error {
	mac, _ := api.ParseMAC("52:54:00:00:01:01")
	_, err1 := st.CreateImage(ctx, api.Image{ID: base, Name: "bench", Arch: api.ArchAMD64, Firmware: api.FirmwareBoth})
	_, err2 := st.CreateImageSet(ctx, api.ImageSet{Name: "bench", Variants: []api.Variant{{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: base}}})
	_, err3 := st.CreateHostgroup(ctx, api.Hostgroup{Name: "web", ImageSet: "bench", FirstBoot: api.FirstBoot{Packages: []string{"htop"}}})
	_, err4 := st.CreateHost(ctx, api.Host{Name: "web-001", Hostgroup: "web", MACs: []api.MAC{mac}, Values: api.HostValues{
		Hostname: "web-001", SSHKeys: []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9ya2luZ29ybG9yZW1pcHN1bWRvbG9yc2l0YW1ldA ops"},
		Files: []api.File{{Path: "/etc/motd", Content: "web-001\n"}}}})
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return err
		}
	}
	return nil
}
