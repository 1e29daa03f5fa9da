package media

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"ingot.dev/ingot/installer/kit"
)

// DefaultReportArea is the size of a kit's report area: room for
// DefaultReportArea/kit.SlotSize - 1 reports.
const DefaultReportArea = 256 << 20

// Kit is what a site-kit image carries besides the installer.
type Kit struct {
	ID string
	// SigningKey is the server's kit signing key (kit.FormatKey); it goes
	// on the kernel command line as ingot.kitkey.
	SigningKey string
	// Fill writes the kit tree (kit.json, kit.sig, report.key, plans,
	// manifests, chunks) into dir.
	Fill func(dir string) error
	// ReportArea is the size of the writable report partition; default
	// DefaultReportArea.
	ReportArea int64
}

// BuildKit writes a site-kit image: the installer in kit mode (no network,
// no server), the kit tree in the ISO 9660 filesystem, and an appended
// report-area partition the installer writes its reports into.
func BuildKit(ctx context.Context, c Config, k Kit) error {
	c = c.withDefaults()
	if c.Out == "" {
		return errors.New("media: no output file (Out)")
	}
	if _, err := kit.ParseKey(k.SigningKey); err != nil || k.ID == "" || k.Fill == nil {
		return fmt.Errorf("media: a site kit needs its ID, the server's kit signing key and its files (%v)", err)
	}
	if k.ReportArea == 0 {
		k.ReportArea = DefaultReportArea
	}
	c.ExtraArgs = append([]string{"ingot.kitkey=" + k.SigningKey}, c.ExtraArgs...)
	for _, a := range c.ExtraArgs {
		if err := checkArg(a); err != nil {
			return err
		}
	}
	stage, err := os.MkdirTemp(filepath.Dir(c.Out), ".kit-")
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	defer os.RemoveAll(stage)
	root := filepath.Join(stage, "root")
	if err := populate(root, c.InstallerDir, GrubConfig(c.kitArgs())); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(root, kit.Dir), 0o755); err != nil {
		return fmt.Errorf("media: %w", err)
	}
	if err := k.Fill(filepath.Join(root, kit.Dir)); err != nil {
		return fmt.Errorf("media: writing the kit files: %w", err)
	}
	area := filepath.Join(stage, "reports.img")
	if err := writeArea(area, k.ID, k.ReportArea); err != nil {
		return err
	}
	tmp := filepath.Join(stage, "kit.img")
	cmd := exec.CommandContext(ctx, c.Mkrescue, "-o", tmp, root, "--", "-volid", "INGOT-KIT", "-append_partition", "3", "0x83", area)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("media: %s: %w\n%s", c.Mkrescue, err, tail(string(out), 1500))
	}
	if err := os.Rename(tmp, c.Out); err != nil {
		return fmt.Errorf("media: %w", err)
	}
	return nil
}

// kitArgs is the kit installer's command line: no server.
func (c Config) kitArgs() []string {
	return append([]string{"console=ttyS0,115200", "console=tty0", "ingot.mode=kit"}, c.ExtraArgs...)
}

// writeArea makes the report area partition image: its header, then
// empty (sparse) slots.
func writeArea(path, id string, size int64) error {
	_, hdr, err := kit.NewAreaHeader(id, size)
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(hdr); err != nil {
		return fmt.Errorf("media: %w", err)
	}
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("media: %w", err)
	}
	return f.Close()
}
