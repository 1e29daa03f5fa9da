package clevis_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"ingot.dev/ingot/installer/clevis"
	"ingot.dev/ingot/installer/clevis/clevistest"
)

var secret = []byte("correct horse battery staple")

// clevisCmd runs a clevis command with the TPM2 TCTI of tp.
func clevisCmd(t *testing.T, tp *clevistest.TPM, stdin []byte, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command("clevis", args...)
	cmd.Env = append(os.Environ(), "TPM2TOOLS_TCTI="+tp.TCTI)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, errors.Join(err, errors.New(stderr.String()))
	}
	return out, nil
}

func setup(t *testing.T) (*clevistest.Tang, *clevistest.TPM) {
	clevistest.Need(t, "clevis", "clevis-decrypt-tpm2", "tpm2_createprimary")
	return clevistest.StartTang(t), clevistest.StartTPM(t)
}

func policy(tg *clevistest.Tang, t int) clevis.Policy {
	return clevis.Policy{Threshold: t, Tang: []clevis.TangPin{{URL: tg.URL, Thumbprints: []string{tg.Thumbprint}}},
		TPM2: &clevis.TPM2Pin{PCRBank: "sha256", PCRIDs: []int{7}}}
}

// TestIngotToClevis: Ingot binds (sss t=2 over tang and tpm2), real clevis
// decrypts.
func TestIngotToClevis(t *testing.T) {
	tg, tp := setup(t)
	ctx := context.Background()
	tpm := tp.Open(t)
	j, err := clevis.Pins{TPM: tpm}.Encrypt(ctx, policy(tg, 2), secret)
	tpm.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, err := clevisCmd(t, tp, []byte(j.Compact()), "decrypt")
	if err != nil {
		t.Fatalf("clevis decrypt: %v", err)
	}
	if !bytes.Equal(out, secret) {
		t.Fatalf("clevis decrypt = %q, want %q", out, secret)
	}
}

// TestClevisToIngot: real clevis binds, Ingot decrypts, for each pin.
func TestClevisToIngot(t *testing.T) {
	tg, tp := setup(t)
	tests := []struct{ name, pin, cfg string }{
		{"tang", "tang", `{"url":"` + tg.URL + `","thp":"` + tg.Thumbprint + `"}`},
		{"tpm2 sha256", "tpm2", `{"pcr_bank":"sha256","pcr_ids":"7"}`},
		{"tpm2 two pcrs", "tpm2", `{"pcr_bank":"sha256","pcr_ids":"0,7"}`},
		{"sss t=2", "sss", `{"t":2,"pins":{"tang":[{"url":"` + tg.URL + `","thp":"` + tg.Thumbprint + `"}],"tpm2":{"pcr_bank":"sha256"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jwe, err := clevisCmd(t, tp, secret, "encrypt", tt.pin, tt.cfg)
			if err != nil {
				t.Fatalf("clevis encrypt: %v", err)
			}
			tpm := tp.Open(t)
			defer tpm.Close()
			got, err := clevis.Pins{TPM: tpm}.Decrypt(context.Background(), string(jwe))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, secret) {
				t.Fatalf("Decrypt = %q, want %q", got, secret)
			}
		})
	}
}

func TestTangFailures(t *testing.T) {
	tg, tp := setup(t)
	ctx := context.Background()
	tpm := tp.Open(t)
	defer tpm.Close()
	pins := clevis.Pins{TPM: tpm}

	wrong := policy(tg, 1)
	wrong.Tang[0].Thumbprints = []string{"x8R9Jd0Y0gRJ4vYXcYQd3l2w8w6bnTbVbWq2mA4bEdc"}
	_, err := pins.Encrypt(ctx, wrong, secret)
	if !errors.Is(err, clevis.ErrUntrusted) || !strings.Contains(err.Error(), tg.URL) || !strings.Contains(err.Error(), tg.Thumbprint) {
		t.Errorf("wrong thumbprint: err = %v, want ErrUntrusted naming %s and %s", err, tg.URL, tg.Thumbprint)
	}

	j2, err := pins.Encrypt(ctx, policy(tg, 2), secret)
	if err != nil {
		t.Fatal(err)
	}
	j1, err := pins.Encrypt(ctx, policy(tg, 1), secret)
	if err != nil {
		t.Fatal(err)
	}
	tg.Stop()

	if _, err := pins.Encrypt(ctx, policy(tg, 1), secret); err == nil || !strings.Contains(err.Error(), tg.URL) {
		t.Errorf("tang down at bind: err = %v, want it to name %s", err, tg.URL)
	}
	if _, err := pins.Decrypt(ctx, j2.Compact()); err == nil || !strings.Contains(err.Error(), tg.URL) {
		t.Errorf("t=2, tang down: err = %v, want a failure naming %s", err, tg.URL)
	}
	got, err := pins.Decrypt(ctx, j1.Compact())
	if err != nil || !bytes.Equal(got, secret) {
		t.Errorf("t=1, tang down: Decrypt = %q, %v; want the secret through the TPM", got, err)
	}
}

// TestLUKSToken: Ingot's token in a LUKS2 header opens with `clevis luks
// pass`; clevis's `luks bind` token opens with Ingot.
func TestLUKSToken(t *testing.T) {
	tg, tp := setup(t)
	clevistest.Need(t, "cryptsetup", "clevis-luks-pass", "clevis-luks-bind")
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(file, make([]byte, 32<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(stdin string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "TPM2TOOLS_TCTI="+tp.TCTI)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	const admin = "admin passphrase"
	run(admin, "cryptsetup", "luksFormat", "--type", "luks2", "--batch-mode", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--key-file", "-", file)

	// Ingot binds keyslot 1.
	key := "ingot-generated-key-0123456789abcdefghijk"
	tpm := tp.Open(t)
	j, err := clevis.Pins{TPM: tpm}.Encrypt(ctx, policy(tg, 2), []byte(key))
	tpm.Close()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "admin")
	os.WriteFile(keyFile, []byte(admin), 0o600)
	run(key, "cryptsetup", "luksAddKey", "--batch-mode", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--key-slot", "1", "--key-file", keyFile, file, "-")
	tok, _ := clevis.NewToken(1, j).MarshalJSON()
	run(string(tok), "cryptsetup", "token", "import", file)
	if dump := run("", "cryptsetup", "luksDump", file); !strings.Contains(dump, "clevis") {
		t.Errorf("luksDump shows no clevis token:\n%s", dump)
	}
	if got := run("", "clevis", "luks", "pass", "-d", file, "-s", "1"); got != key {
		t.Errorf("clevis luks pass = %q, want %q", got, key)
	}

	// clevis binds a new slot; Ingot reads it back from the token.
	run(admin, "clevis", "luks", "bind", "-y", "-k", "-", "-d", file, "sss",
		`{"t":1,"pins":{"tang":[{"url":"`+tg.URL+`","thp":"`+tg.Thumbprint+`"}],"tpm2":{"pcr_bank":"sha256"}}}`)
	for id := range 3 {
		out, err := exec.Command("cryptsetup", "token", "export", "--token-id", strconv.Itoa(id), file).Output()
		if err != nil {
			continue
		}
		tk, err := clevis.ParseToken(out)
		if err != nil || tk.Keyslots[0] == "1" {
			continue
		}
		tpm := tp.Open(t)
		pass, err := clevis.Pins{TPM: tpm}.Decrypt(ctx, tk.JWE.Compact())
		tpm.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := run("", "clevis", "luks", "pass", "-d", file, "-s", tk.Keyslots[0]); got != string(pass) {
			t.Errorf("Ingot recovered %q from clevis's token, clevis luks pass says %q", pass, got)
		}
		return
	}
	t.Fatal("no token from clevis luks bind")
}
