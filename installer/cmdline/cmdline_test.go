package cmdline

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    Config
		wantErr bool
	}{
		{
			name: "discovery",
			line: "BOOT_IMAGE=/vmlinuz console=ttyS0 ingot.server=http://10.0.0.1:7480/ quiet\n",
			want: Config{Server: "http://10.0.0.1:7480", Mode: ModeDiscovery},
		},
		{
			name: "install implied by token",
			line: "ingot.server=http://s ingot.token=abc ingot.deployment=dep-1 ingot.debug=1",
			want: Config{Server: "http://s", Mode: ModeInstall, Token: "abc", Deployment: "dep-1", Debug: true},
		},
		{
			name: "quoted values and bare debug",
			line: `initrd=initramfs "ingot.server=http://a/b c" ingot.mode=discovery ingot.debug ingot.iface=eth1`,
			want: Config{Server: "http://a/b c", Mode: ModeDiscovery, Debug: true, Iface: "eth1"},
		},
		{name: "no server", line: "console=ttyS0", wantErr: true},
		{name: "bad url", line: "ingot.server=10.0.0.1", wantErr: true},
		{name: "install without token", line: "ingot.server=http://s ingot.mode=install ingot.deployment=d", wantErr: true},
		{name: "install without deployment", line: "ingot.server=http://s ingot.token=t", wantErr: true},
		{name: "bad mode", line: "ingot.server=http://s ingot.mode=wipe", wantErr: true},
		{name: "unknown parameter", line: "ingot.server=http://s ingot.sever=x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.line)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse() error = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Parse() mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`ingot.server=http://x "a b" ingot.token=t`)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Parse(s)
	})
}
