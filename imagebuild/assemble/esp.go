package assemble

import (
	"context"
	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
	"time"

	"ingot.dev/ingot/imagebuild/internal/hostcmd"
)

// ESP describes the EFI system partition's FAT32 image.
type ESP struct {
	Out    string
	Size   int64
	Serial string            // 8 hex digits, mkfs.vfat -i
	Files  map[string]string // path on the ESP -> host file
	Epoch  time.Time
}

// Make formats the image with mkfs.vfat --invariant and copies the files in
// with mtools: no mounts, and with SOURCE_DATE_EPOCH the same bytes each time.
func (e ESP) Make(ctx context.Context) error {
	os.Remove(e.Out)
	if _, err := hostcmd.Run(ctx, "mkfs.vfat", "-C", "-F", "32", "-n", "ESP", "--invariant", "-i", e.Serial,
		e.Out, strconv.FormatInt(e.Size/1024, 10)); err != nil {
		return fmt.Errorf("making ESP: %w", err)
	}
	env := []string{"SOURCE_DATE_EPOCH=" + strconv.FormatInt(e.Epoch.Unix(), 10), "MTOOLS_SKIP_CHECK=1"}
	dests := make([]string, 0, len(e.Files))
	for d := range e.Files {
		dests = append(dests, d)
	}
	sort.Strings(dests)
	made := map[string]bool{"/": true, ".": true}
	for _, d := range dests {
		var dirs []string
		for dir := path.Dir(d); !made[dir]; dir = path.Dir(dir) {
			dirs = append([]string{dir}, dirs...)
			made[dir] = true
		}
		for _, dir := range dirs {
			if _, err := (hostcmd.Cmd{Path: "mmd", Args: []string{"-i", e.Out, "::" + dir}, Env: env}).Run(ctx); err != nil {
				return fmt.Errorf("ESP directory %s: %w", dir, err)
			}
		}
		if err := os.Chtimes(e.Files[d], e.Epoch, e.Epoch); err != nil {
			return fmt.Errorf("ESP file %s: %w", d, err)
		}
		if _, err := (hostcmd.Cmd{Path: "mcopy", Args: []string{"-m", "-i", e.Out, e.Files[d], "::" + d}, Env: env}).Run(ctx); err != nil {
			return fmt.Errorf("ESP file %s: %w", d, err)
		}
	}
	return nil
}
