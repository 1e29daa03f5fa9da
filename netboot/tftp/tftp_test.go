package tftp

import (
	"bytes"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"ingot.dev/ingot/internal/testenv"
)

func start(t *testing.T, root fs.FS) (*Server, <-chan Transfer) {
	t.Helper()
	stats := make(chan Transfer, 100)
	s, err := New(Config{Listen: netip.MustParseAddrPort("127.0.0.1:0"), Root: root, Timeout: 500 * time.Millisecond,
		Stats: func(tr Transfer) { stats <- tr }}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	testenv.Serve(t, s.Serve)
	return s, stats
}

func payload(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestGet(t *testing.T) {
	efi := payload(1<<20 + 123)
	root := fstest.MapFS{"ipxe.efi": {Data: efi}, "undionly.kpxe": {Data: payload(70000)}, "sub/x": {Data: []byte("x")}}
	s, stats := start(t, root)
	tests := []struct {
		name, file string
		blksize    int
		want       []byte
	}{
		{"default block size", "ipxe.efi", 0, efi},
		{"negotiated 1468", "ipxe.efi", 1468, efi},
		{"negotiated 8192", "/undionly.kpxe", 8192, root["undionly.kpxe"].Data},
		{"subdirectory", "sub/x", 0, []byte("x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			n, tsize, err := Get(s.Addr(), tt.file, tt.blksize, time.Second, &buf)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(tt.want)) || tsize != int64(len(tt.want)) || !bytes.Equal(buf.Bytes(), tt.want) {
				t.Errorf("got %d bytes (tsize %d), want %d identical bytes", n, tsize, len(tt.want))
			}
			st := <-stats
			if st.Err != nil || st.Bytes != int64(len(tt.want)) || !st.Client.Addr().IsLoopback() || st.Duration <= 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	root := fstest.MapFS{"ipxe.efi": {Data: []byte("efi")}, "dir/f": {Data: []byte("f")}}
	s, stats := start(t, root)
	for _, name := range []string{"../ipxe.efi", "/../etc/passwd", "dir/../../x", "dir/./f", "dir//f", "a\\..\\b", "missing", "dir", ""} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Get(s.Addr(), name, 0, 500*time.Millisecond, io.Discard)
			if err == nil {
				t.Fatalf("%q was served", name)
			}
			if name != "" {
				if st := <-stats; st.Err == nil {
					t.Errorf("stats report success for %q", name)
				}
			}
		})
	}
	err := Put(s.Addr(), "ipxe.efi", strings.NewReader("evil"))
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("write: %v, want the read-only error", err)
	}
	if string(root["ipxe.efi"].Data) != "efi" {
		t.Error("file changed")
	}
}

// Many concurrent clients all get the whole file.
func TestConcurrent(t *testing.T) {
	data := payload(300000)
	s, _ := start(t, fstest.MapFS{"ipxe.efi": {Data: data}})
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			var buf bytes.Buffer
			if _, _, err := Get(s.Addr(), "ipxe.efi", 1468, time.Second, &buf); err != nil {
				errs <- err
			} else if !bytes.Equal(buf.Bytes(), data) {
				errs <- io.ErrUnexpectedEOF
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ipxe.efi", "ipxe.efi"}, {"/ipxe.efi", "ipxe.efi"}, {"a/b", "a/b"},
		{"..", ""}, {"/..", ""}, {"a/..", ""}, {"//etc/passwd", ""}, {"a\x00", ""}, {"C:\\x", ""}, {"a\n", ""},
	}
	for _, tt := range tests {
		got, err := Clean(tt.in)
		if (err != nil) != (tt.want == "") || got != tt.want {
			t.Errorf("Clean(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"ipxe.efi", "/a/b", "../x", "a/../../b", "a\\b", "/", "a//b", "./a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got, err := Clean(name)
		if err != nil {
			return
		}
		if !fs.ValidPath(got) || got == "." || strings.HasPrefix(got, "/") {
			t.Fatalf("Clean(%q) = %q: not a valid fs path inside the root", name, got)
		}
		for _, el := range strings.Split(got, "/") {
			if el == ".." {
				t.Fatalf("Clean(%q) = %q escapes", name, got)
			}
		}
		// What Clean accepts must open from the root and nothing above it.
		root := fstest.MapFS{got: {Data: []byte("ok")}}
		if _, err := fs.ReadFile(root, got); err != nil {
			t.Fatalf("accepted %q does not open: %v", got, err)
		}
	})
}
