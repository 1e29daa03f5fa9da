package assemble

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"ingot.dev/ingot/imagebuild/rootfs"
)

// filesystem is one ext4 filesystem of the image: the root or a split mount.
type filesystem struct {
	mount, role string
	stage       string // directory holding its contents
	image       string
	size        int64
	uuid        UUID
	partType    GUID
}

// CIS mount options for split mount points (CIS Debian benchmark, section 1.1).
var mountOptions = map[string]string{
	"/tmp": "nodev,nosuid,noexec", "/var": "nodev", "/var/tmp": "nodev,nosuid,noexec",
	"/var/log": "nodev,nosuid,noexec", "/var/log/audit": "nodev,nosuid,noexec", "/home": "nodev,nosuid",
	"/dev/shm": "nodev,nosuid,noexec",
}

// Discoverable Partitions Specification types.
var partTypes = map[string]GUID{
	"/":        mustGUID("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"),
	"/var":     mustGUID("4D21B016-B534-45C2-A9FB-5C16E091FD2D"),
	"/var/tmp": mustGUID("7EC6F557-3BC5-4ACA-B293-16EF5DF639D1"),
	"/home":    mustGUID("933AC7E1-2EB4-4F13-B844-0E14E2AEF915"),
	"/srv":     mustGUID("3B8F8425-20E0-4F3B-907F-1A25A76F98E8"),
}

var linuxFS = mustGUID("0FC63DAF-8483-4772-8E79-3D69D8477DE4")

func role(mount string) string {
	if mount == "/" {
		return "root"
	}
	return strings.ReplaceAll(strings.Trim(mount, "/"), "/", "-")
}

// splitTree moves every split mount point out of the tree into a directory
// of its own (deepest first, so /var/log/audit leaves /var/log before /var
// does), leaving an empty mount point behind. The root comes first in the
// result, the splits follow sorted by path.
func splitTree(cfg Config) ([]filesystem, error) {
	splits := append([]Mount(nil), cfg.Split...)
	sort.Slice(splits, func(i, j int) bool { return splits[i].Path < splits[j].Path })
	fss := []filesystem{{mount: "/", stage: cfg.Tree}}
	for _, m := range splits {
		fss = append(fss, filesystem{mount: m.Path, size: m.Size,
			stage: filepath.Join(cfg.OutDir, "fs", role(m.Path))})
	}
	for i := len(fss) - 1; i > 0; i-- {
		if err := moveOut(filepath.Join(cfg.Tree, fss[i].mount), fss[i].stage); err != nil {
			return nil, fmt.Errorf("splitting %s off the root: %w", fss[i].mount, err)
		}
	}
	for i := range fss {
		f := &fss[i]
		f.role = role(f.mount)
		f.image = filepath.Join(cfg.OutDir, f.role+".ext4")
		f.uuid = DeriveUUID(cfg.Seed, "fs:"+f.mount)
		f.partType = linuxFS
		if t, ok := partTypes[f.mount]; ok {
			f.partType = t
		}
	}
	return fss, nil
}

// moveOut renames src to dst and leaves an empty directory with src's
// owner and mode in its place.
func moveOut(src, dst string) error {
	info, err := os.Stat(src)
	if os.IsNotExist(err) {
		mode := fs.FileMode(0o755)
		if strings.HasSuffix(src, "tmp") {
			mode = 0o1777 | fs.ModeSticky
		}
		if err := os.MkdirAll(src, 0o755); err != nil {
			return err
		}
		if err := os.Chmod(src, mode); err != nil {
			return err
		}
		info, err = os.Stat(src)
	}
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory", src)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		return err
	}
	if err := os.Mkdir(src, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(src, info.Mode()&(fs.ModePerm|fs.ModeSticky|fs.ModeSetuid|fs.ModeSetgid)); err != nil {
		return err
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return os.Lchown(src, int(st.Uid), int(st.Gid))
	}
	return nil
}

// writeFstab writes the tree's /etc/fstab naming every filesystem by UUID.
func writeFstab(tree string, fss []filesystem, espID string) error {
	var b strings.Builder
	b.WriteString("# Written by Ingot at image build time.\n# <file system> <mount point> <type> <options> <dump> <pass>\n")
	for _, f := range fss {
		opts, pass := "defaults", 2
		if f.mount == "/" {
			opts, pass = "errors=remount-ro", 1
		} else if o, ok := mountOptions[f.mount]; ok {
			opts = "defaults," + o
		}
		fmt.Fprintf(&b, "UUID=%s\t%s\text4\t%s\t0\t%d\n", f.uuid, f.mount, opts, pass)
	}
	fmt.Fprintf(&b, "UUID=%s\t/boot/efi\tvfat\tumask=0077\t0\t1\n", espID)
	if err := os.MkdirAll(filepath.Join(tree, "boot/efi"), 0o755); err != nil {
		return fmt.Errorf("writing fstab: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tree, "etc/fstab"), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing fstab: %w", err)
	}
	return nil
}

// make sizes and builds the filesystem's ext4 image.
func (f *filesystem) make(ctx context.Context, cfg Config) error {
	if err := rootfs.Clamp(ctx, f.stage, cfg.Epoch); err != nil {
		return err
	}
	used, err := usage(f.stage)
	if err != nil {
		return fmt.Errorf("sizing %s: %w", f.mount, err)
	}
	if need := alignUp(used+used/5+64<<20, align); f.size < need {
		f.size = need
	}
	sorted := filepath.Join(cfg.OutDir, "sorted", f.role)
	os.RemoveAll(sorted)
	if err := os.MkdirAll(filepath.Dir(sorted), 0o755); err != nil {
		return err
	}
	if err := sortedLinkTree(f.stage, sorted); err != nil {
		return fmt.Errorf("ordering %s: %w", f.mount, err)
	}
	f.stage = sorted
	return Ext4{Source: f.stage, Out: f.image, Size: f.size, UUID: f.uuid, Label: label(f.role), Epoch: cfg.Epoch}.Make(ctx)
}

func label(role string) string {
	if len(role) > 16 {
		return role[:16]
	}
	return role
}

// usage estimates the bytes a tree needs: data rounded to blocks plus one
// block per entry for inodes and directories.
func usage(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		n += 4096
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += alignUp(info.Size(), 4096)
		}
		return nil
	})
	return n, err
}
