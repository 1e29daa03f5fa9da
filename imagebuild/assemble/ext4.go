package assemble

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"ingot.dev/ingot/imagebuild/internal/hostcmd"
)

// Ext4 describes one ext4 filesystem image to build from a directory.
type Ext4 struct {
	Source string // directory whose contents become the filesystem
	Out    string // image file
	Size   int64  // bytes, a multiple of 4096
	UUID   UUID   // filesystem UUID, also its directory hash seed
	Label  string
	Epoch  time.Time
}

// Make builds the image with mkfs.ext4 -d (no mounts, no loop devices), then
// sets every inode's ctime, which mke2fs copies from the host, to Epoch.
func (e Ext4) Make(ctx context.Context) error {
	os.Remove(e.Out)
	epoch := strconv.FormatInt(e.Epoch.Unix(), 10)
	cmd := hostcmd.Cmd{
		Path: "mkfs.ext4",
		Args: []string{"-q", "-F", "-b", "4096", "-L", e.Label, "-U", e.UUID.String(),
			"-E", "hash_seed=" + e.UUID.String() + ",root_owner=0:0", "-d", e.Source, e.Out, strconv.FormatInt(e.Size/1024, 10) + "k"},
		Env: []string{"E2FSPROGS_FAKE_TIME=" + epoch, "SOURCE_DATE_EPOCH=" + epoch},
	}
	if _, err := cmd.Run(ctx); err != nil {
		return fmt.Errorf("making ext4 %s from %s: %w", e.Label, e.Source, err)
	}
	return e.fixCtimes(ctx)
}

// fixCtimes runs one debugfs script that sets the ctime of every entry.
func (e Ext4) fixCtimes(ctx context.Context) error {
	script := e.Out + ".debugfs"
	f, err := os.Create(script)
	if err != nil {
		return fmt.Errorf("ext4 %s: %w", e.Label, err)
	}
	defer os.Remove(script)
	w := bufio.NewWriter(f)
	at := "@" + strconv.FormatInt(e.Epoch.Unix(), 10)
	err = filepath.WalkDir(e.Source, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(e.Source, p)
		if strings.ContainsAny(rel, "\"\n") {
			return fmt.Errorf("path %q: quote or newline in a file name", rel)
		}
		fmt.Fprintf(w, "sif \"/%s\" ctime %s\n", strings.TrimPrefix(rel, "."), at)
		return nil
	})
	if err == nil {
		fmt.Fprintf(w, "sif /lost+found ctime %s\n", at)
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ext4 %s: listing inodes: %w", e.Label, err)
	}
	out, err := hostcmd.Cmd{Path: "debugfs", Args: []string{"-w", "-f", script, e.Out},
		Env: []string{"E2FSPROGS_FAKE_TIME=" + at[1:]}}.Run(ctx)
	if err != nil {
		return fmt.Errorf("ext4 %s: setting ctimes: %w", e.Label, err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "not found") || strings.Contains(l, "Bad ") {
			return fmt.Errorf("ext4 %s: setting ctimes: debugfs: %s", e.Label, l)
		}
	}
	return nil
}
