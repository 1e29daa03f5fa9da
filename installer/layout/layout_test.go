package layout

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var exampleEncryption = &Encryption{
	Threshold: 2,
	Tang:      []Tang{{URL: "http://tang.example:7500", Thumbprints: []string{"x8R9Jd0Y0gRJ4vYXcYQd3l2w8w6bnTbVbWq2mA4bEdc"}}},
	TPM2:      &TPM2{PCRBank: "sha256", PCRIDs: []int{7}},
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", file, diff)
	}
}

func presetName(name string, enc bool) string {
	n := strings.ReplaceAll(name, "+", "-")
	if enc {
		n += "-encrypted"
	}
	return n
}

// TestPresets checks every preset is valid, matches its golden YAML, and
// that the YAML parses back to the same Go value.
func TestPresets(t *testing.T) {
	for _, name := range Presets() {
		for _, enc := range []*Encryption{nil, exampleEncryption} {
			t.Run(presetName(name, enc != nil), func(t *testing.T) {
				l, err := Preset(name, enc)
				if err != nil {
					t.Fatal(err)
				}
				if errs := Validate(l); len(errs) > 0 {
					t.Fatalf("preset invalid: %v", errs)
				}
				y, err := Marshal(l)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, presetName(name, enc != nil)+".yaml", y)
				back, err := Parse(y)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(l, back); diff != "" {
					t.Errorf("round trip (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, in, err string
	}{
		{name: "preset reference", in: "preset: mirror+cis\n"},
		{name: "json", in: `{"disks":[{"name":"os","partitions":[{"name":"root","size":"rest","type":"linux"}]}],"filesystems":[{"device":"root","type":"ext4","mount":"/"}]}`},
		{name: "unknown field", in: "disks: []\nfilesystem: []\n", err: `unknown field "filesystem"`},
		{name: "unknown nested field", in: "disks: [{name: os, colour: red, partitions: []}]\n", err: `unknown field "colour"`},
		{name: "bad size", in: "disks: [{name: os, partitions: [{name: a, size: 12XB, type: linux}]}]\n", err: "size"},
		{name: "unknown preset", in: "preset: raid5\n", err: "unknown layout preset"},
		{name: "duplicate key", in: "disks: []\ndisks: []\n", err: "already set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("Parse error = %v, want %q", err, tt.err)
			}
		})
	}
}

func mustPreset(t *testing.T, name string, enc *Encryption) Layout {
	t.Helper()
	l, err := Preset(name, enc)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Layout)
		preset string
		want   []string // paths of the errors
	}{
		{name: "valid mirror+cis", preset: "mirror+cis"},
		{name: "cis without /var/log/audit", preset: "cis", edit: func(l *Layout) {
			l.Filesystems = l.Filesystems[:len(l.Filesystems)-2]
			l.Filesystems = append(l.Filesystems, Filesystem{Device: "vg0/home", Type: Ext4, Mount: "/home", Options: []string{"nodev", "nosuid"}})
		}, want: []string{"filesystems"}},
		{name: "cis /tmp without noexec", preset: "cis", edit: func(l *Layout) {
			l.Filesystems[3].Options = []string{"nodev", "nosuid"}
		}, want: []string{"filesystems[3].options"}},
		{name: "mirror with one disk", preset: "mirror", edit: func(l *Layout) { l.Disks[0].Count = 1 },
			want: []string{"arrays[0].devices", "arrays[1].devices"}},
		{name: "overlapping sizes", preset: "single", edit: func(l *Layout) {
			l.Disks[0].Select = Selector{MinSize: 100 * GiB, MaxSize: 500 * GiB}
			l.Disks = append(l.Disks, DiskGroup{Name: "data", Select: Selector{MinSize: 400 * GiB},
				Partitions: []Partition{{Name: "d", Size: Rest, Type: Linux}}})
		}, want: []string{"disks[1].select"}},
		{name: "disjoint sizes", preset: "single", edit: func(l *Layout) {
			l.Disks[0].Select = Selector{MaxSize: 500 * GiB}
			l.Disks = append(l.Disks, DiskGroup{Name: "data", Select: Selector{MinSize: 501 * GiB},
				Partitions: []Partition{{Name: "d", Size: Rest, Type: Linux}}})
		}},
		{name: "min above max", preset: "single", edit: func(l *Layout) {
			l.Disks[0].Select = Selector{MinSize: 2 * TiB, MaxSize: TiB}
		}, want: []string{"disks[0].select.max_size"}},
		{name: "rest not last", preset: "single", edit: func(l *Layout) {
			l.Disks[0].Partitions[1].Size = Rest
		}, want: []string{"disks[0].partitions[1].size"}},
		{name: "unaligned size", preset: "single", edit: func(l *Layout) {
			l.Disks[0].Partitions[1].Size = 1000
		}, want: []string{"disks[0].partitions[1].size"}},
		{name: "unknown types", preset: "single", edit: func(l *Layout) {
			l.Disks[0].Partitions[0].Type = "ntfs"
			l.Filesystems[0].Type = "btrfs"
			l.Disks[0].Select.Transport = "scsi-over-pigeon"
		}, want: []string{"disks[0].select.transport", "disks[0].partitions[0].type", "filesystems[0].type"}},
		{name: "dangling and double use", preset: "single", edit: func(l *Layout) {
			l.Filesystems[1].Device = "nope"
			l.Filesystems[2].Device = "esp"
		}, want: []string{"filesystems[1].device", "filesystems[2].device"}},
		{name: "replicated non-esp", preset: "mirror", edit: func(l *Layout) {
			l.Arrays = l.Arrays[:1]
			l.Filesystems[2].Device = "data"
		}, want: []string{"filesystems[2].device"}},
		{name: "luks without policy", preset: "single", edit: func(l *Layout) {
			l.LUKS = []LUKSVolume{{Name: "crypt", Device: "data"}}
			l.Filesystems[2].Device = "crypt"
		}, want: []string{"luks[0]"}},
		{name: "tang without thumbprint and bad threshold", preset: "single", edit: func(l *Layout) {
			l.Encryption = &Encryption{Threshold: 3, Tang: []Tang{{URL: "tang.example"}}, TPM2: &TPM2{PCRBank: "md5", PCRIDs: []int{7, 7, 24}}}
		}, want: []string{"encryption.threshold", "encryption.tang[0].url", "encryption.tang[0].thumbprints",
			"encryption.tpm2.pcr_bank", "encryption.tpm2.pcr_ids[1]", "encryption.tpm2.pcr_ids[2]"}},
		{name: "md member not raid", preset: "mirror", edit: func(l *Layout) {
			l.Disks[0].Partitions[2].Type = Linux
		}, want: []string{"arrays[0].devices[0]"}},
		{name: "bad metadata", preset: "mirror", edit: func(l *Layout) { l.Arrays[0].Metadata = "0.9" },
			want: []string{"arrays[0].metadata"}},
		{name: "no root", preset: "single", edit: func(l *Layout) { l.Filesystems[2].Mount = "/srv" },
			want: []string{"filesystems"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustPreset(t, tt.preset, nil)
			if tt.edit != nil {
				tt.edit(&l)
			}
			var got []string
			for _, e := range Validate(l) {
				got = append(got, e.Path)
				t.Log(e)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error paths (-want +got):\n%s", diff)
			}
		})
	}
}

func disk(name string, size Size, transport string) plan.Disk {
	return plan.Disk{Name: name, Path: "/dev/" + name, SizeBytes: int64(size), Transport: transport, Model: "QEMU", Serial: "S-" + name}
}

func TestPlan(t *testing.T) {
	two := []plan.Disk{disk("vdb", 40*GiB, "virtio"), disk("vda", 32*GiB, "virtio")}
	tpm := plan.TPM{Present: true, Version: "2.0"}
	tests := []struct {
		name   string
		preset string
		enc    *Encryption
		inv    plan.Inventory
		edit   func(*Layout)
		err    string
	}{
		{name: "single", preset: "single", inv: plan.Inventory{Firmware: api.FirmwareUEFI, Disks: two}},
		{name: "mirror+cis encrypted", preset: "mirror+cis", enc: exampleEncryption,
			inv: plan.Inventory{Firmware: api.FirmwareUEFI, TPM: tpm, Disks: append(two, disk("nvme0n1", 64*GiB, "nvme"))}},
		{name: "more disks than present", preset: "mirror", inv: plan.Inventory{Disks: two[:1]},
			err: `disk group "os" needs 2 disks, 1 match`},
		{name: "tpm required but absent", preset: "cis", enc: exampleEncryption, inv: plan.Inventory{Disks: two},
			err: "encryption.tpm2: the layout seals to a TPM 2.0 but the host has no TPM"},
		{name: "tpm 1.2", preset: "cis", enc: exampleEncryption, inv: plan.Inventory{Disks: two, TPM: plan.TPM{Present: true, Version: "1.2"}},
			err: "the host has a TPM 1.2"},
		{name: "disk too small", preset: "cis", inv: plan.Inventory{Disks: []plan.Disk{disk("vda", 8*GiB, "virtio")}},
			err: `logical volume "var" (2GiB) does not fit`},
		{name: "removable disk skipped", preset: "single",
			inv: plan.Inventory{Disks: []plan.Disk{{Name: "sda", Path: "/dev/sda", SizeBytes: 64 << 30, Removable: true, Transport: "usb"}}},
			err: "removable"},
		{name: "bios mirror", preset: "mirror+cis", inv: plan.Inventory{Firmware: api.FirmwareBIOS, Disks: two}},
		{name: "bios without bios-boot", preset: "mirror", inv: plan.Inventory{Firmware: api.FirmwareBIOS, Disks: two},
			edit: func(l *Layout) { l.Disks[0].Partitions = l.Disks[0].Partitions[1:] },
			err:  "disks[0]: the host boots with legacy BIOS but disk group os, which holds the ESP, has no bios-boot partition"},
		{name: "bios without esp", preset: "single", inv: plan.Inventory{Firmware: api.FirmwareBIOS, Disks: two},
			edit: func(l *Layout) { l.Filesystems = l.Filesystems[1:] },
			err:  "legacy BIOS and GRUB reads the kernel from the ESP, but the layout mounts no ESP"},
		{name: "invalid layout", preset: "mirror", enc: &Encryption{}, inv: plan.Inventory{Disks: two},
			err: "encryption: at least one pin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustPreset(t, tt.preset, tt.enc)
			if tt.edit != nil {
				tt.edit(&l)
			}
			sp, err := Plan(l, tt.inv)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Plan error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := sp.Describe(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, "plan-"+strings.ReplaceAll(tt.name, " ", "-")+".txt", b.Bytes())
		})
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
	}{{"512MiB", 512 * MiB}, {"2G", 2 * GiB}, {"1TB", 1e12}, {"4096", 4 * KiB}, {"rest", Rest}}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("ParseSize(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range Presets() {
		l, _ := Preset(name, exampleEncryption)
		y, _ := Marshal(l)
		f.Add(y)
	}
	f.Add([]byte(`{"preset":"single"}`))
	f.Add([]byte("disks: [{name: os, count: -1, partitions: [{name: a, size: rest}]}]"))
	inv := plan.Inventory{TPM: plan.TPM{Present: true}, Disks: []plan.Disk{disk("vda", 64*GiB, "virtio"), disk("vdb", 64*GiB, "virtio")}}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse(data)
		if err != nil {
			return
		}
		if len(Validate(l)) == 0 {
			// A valid layout either plans or fails with an error, never panics.
			_, _ = Plan(l, inv)
		}
	})
}
