package template

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"

	"ingot.dev/ingot/api"
)

// Keys made with ssh-keygen.
const (
	keyEd25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA7szJOTXOel3QqFzuM8ubXtFjX6m5/Ab1jh2Lp0lO+R ed25519@test"
	keyRSA2048 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0PRohvPJ43iVy7glmVUrUubFkOmqKjpyNAsmSPy9FN+V1sa9UXmC15eWOuXAb9UO3BKzSAyQ0UROJp6NQplQdKgZUbgr+9eCPzj+rIOVS8nz9TEDRytDFGyg84Z2oc3/EFkiOwTpeQRRQNBiEpKZC7JOESZMVc3AidP21TaadrvCWneU7DWFw4PdOUtJFbA2xLGIzTULC20SVIolLaJBdvFVtN3wlDDgHZVUYa6sSaLEoqFrk5AQfcb0A93rsv601JfuYqmUMPhKwIqpuoQvGi6zN1SHoRhINDxmoYwwxG5fJJj8A3NAic/35gzdm3spiorwQ0eU8vlN5IiKRBUWr rsab2048@test"
	keyRSA1024 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCU8grRID9kTHvuOV/82osKplZtcjFUIqPF5UbNQLza5au8EjPEk8YBs6nLCiwrs53uyQMgQzRYVi/r2YAuD9utRnAskLh9E7dYfoOg1i5hlRI15OPD6Lp9SGnXsOiOtHzRP6eCS7jwSFxG5+WGWa9NOvcGTPAYmdzkMNAOeXp31w== rsab1024@test"
	keyP256    = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBCCjGb4K7YUKKCzo4SpbGQD4aZa/Sr8tcuH2q+Q4ZFqtUgoiWzW5Mt6yAdd2rdAthzz2i2TNmepOd0kpjADQQcI= ecdsab256@test"
	keyP384    = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBAwkc7R07qG67zOayTaQ2jROXDBTsKE4XD8T6pAYrIKMjovrpfIsSpKXv0UkdEeObY7M/tvdxfYAzOr7IBBNp2nWldB9T0NUYOIkFlo3fPnqKjTFr9vswCS7bWeHT+TbRg== ecdsab384@test"
	keyP521    = "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAE6e8eG/thakjU+ajosTb1K9H9cYM/sS1KPYBOGPzlLQUtvVAgTfYv9ghj1tPMJWFQXR4zcYP4RfR8b+qpgLdGYFQCKG05NlskxBrExkNR2QL8A7lEUvhQuBstGwYvtdL7FzAhd6mTvHnE37IXs7dBDwR3erpkO/FP6E+xjH+VlOKANwQ== ecdsab521@test"
)

// sshStrings encodes parts in the SSH wire format.
func sshStrings(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

func keyLine(typ string, blob []byte) string {
	return typ + " " + base64.StdEncoding.EncodeToString(blob) + " test"
}

// p256Point returns a fresh point on P-256 in uncompressed form.
func p256Point() []byte {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return k.PublicKey().Bytes()
}

var sshAllowed = api.Template{SSHKeys: api.ListRule{Allowed: true}}

func keys(k ...string) api.HostValues { return api.HostValues{SSHKeys: k} }

const (
	skEd = "sk-ssh-ed25519@openssh.com"
	skEC = "sk-ecdsa-sha2-nistp256@openssh.com"
)

var ed25519Blob = sshStrings([]byte("ssh-ed25519"), bytes.Repeat([]byte{1}, 32))
var sshKeyCases = []checkCase{
	{name: "locked", values: keys(keyEd25519),
		want: []want{{"values.ssh_keys", "must set template.ssh_keys.allowed"}}},
	{name: "all key types", tmpl: sshAllowed, values: keys(keyEd25519, keyRSA2048, keyP256, keyP384, keyP521,
		keyLine(skEd, sshStrings([]byte(skEd), bytes.Repeat([]byte{2}, 32), []byte("ssh:"))),
		keyLine(skEC, sshStrings([]byte(skEC), []byte("nistp256"), p256Point(), []byte("ssh:"))))},
	{name: "no comment", tmpl: sshAllowed, values: keys(strings.Join(strings.Fields(keyEd25519)[:2], " "))},
	{name: "tabs and spaces", tmpl: sshAllowed, values: keys(strings.ReplaceAll(keyEd25519, " ", " \t "))},
	{name: "min met", tmpl: api.Template{SSHKeys: api.ListRule{Allowed: true, Min: 1}}, values: keys(keyEd25519)},
	{name: "min not met", tmpl: api.Template{SSHKeys: api.ListRule{Allowed: true, Min: 1}},
		want: []want{{"values.ssh_keys", "requires at least 1 (template.ssh_keys.min), got 0"}}},
	{name: "max met", tmpl: api.Template{SSHKeys: api.ListRule{Allowed: true, Max: 2}}, values: keys(keyEd25519, keyP256)},
	{name: "max exceeded", tmpl: api.Template{SSHKeys: api.ListRule{Allowed: true, Max: 1}}, values: keys(keyEd25519, keyP256),
		want: []want{{"values.ssh_keys", "allows at most 1 (template.ssh_keys.max), got 2"}}},
	{name: "pattern matches", tmpl: api.Template{SSHKeys: api.ListRule{Allowed: true, Pattern: `.* [a-z0-9]+@test`}},
		values: keys(keyEd25519)},
	{name: "pattern misses", tmpl: api.Template{SSHKeys: api.ListRule{Allowed: true, Pattern: `.*@corp`}},
		values: keys(keyEd25519, keyP256),
		want:   []want{{"values.ssh_keys[0]", "ssh_keys.pattern"}, {"values.ssh_keys[1]", "ssh_keys.pattern"}}},
	{name: "duplicate with other comment", tmpl: sshAllowed, values: keys(keyEd25519, strings.Replace(keyEd25519, "ed25519@test", "other", 1)),
		want: []want{{"values.ssh_keys[1]", "the same key as values.ssh_keys[0]"}}},
	{name: "newline", tmpl: sshAllowed, values: keys(keyEd25519 + "\n" + keyP256),
		want: []want{{"values.ssh_keys[0]", `control character '\n'`}}},
	{name: "carriage return", tmpl: sshAllowed, values: keys(keyEd25519 + "\r"),
		want: []want{{"values.ssh_keys[0]", "control character"}}},
	{name: "NUL", tmpl: sshAllowed, values: keys(keyEd25519 + "\x00"),
		want: []want{{"values.ssh_keys[0]", "control character"}}},
	{name: "empty", tmpl: sshAllowed, values: keys(" "),
		want: []want{{"values.ssh_keys[0]", "empty"}}},
	{name: "unknown type", tmpl: sshAllowed, values: keys("ssh-dss AAAAB3NzaC1kc3M= x"),
		want: []want{{"values.ssh_keys[0]", `unknown key type "ssh-dss"`}}},
	{name: "certificate type", tmpl: sshAllowed, values: keys("ssh-ed25519-cert-v01@openssh.com AAAA x"),
		want: []want{{"values.ssh_keys[0]", "unknown key type"}}},
	{name: "options", tmpl: sshAllowed, values: keys(`from="10.0.0.0/8" ` + keyEd25519),
		want: []want{{"values.ssh_keys[0]", "options are not accepted"}}},
	{name: "no data", tmpl: sshAllowed, values: keys("ssh-ed25519"),
		want: []want{{"values.ssh_keys[0]", "no key data"}}},
	{name: "bad base64", tmpl: sshAllowed, values: keys("ssh-ed25519 AAAA!!!! x"),
		want: []want{{"values.ssh_keys[0]", "not valid base64"}}},
	{name: "type mismatch", tmpl: sshAllowed, values: keys("ssh-rsa" + strings.TrimPrefix(keyEd25519, "ssh-ed25519")),
		want: []want{{"values.ssh_keys[0]", `it holds a "ssh-ed25519" key, not "ssh-rsa"`}}},
	{name: "ecdsa curve mismatch", tmpl: sshAllowed, values: keys("ecdsa-sha2-nistp384" + strings.TrimPrefix(keyP256, "ecdsa-sha2-nistp256")),
		want: []want{{"values.ssh_keys[0]", "not \"ecdsa-sha2-nistp384\""}}},
	{name: "ecdsa inner curve mismatch", tmpl: sshAllowed,
		values: keys(keyLine("ecdsa-sha2-nistp256", sshStrings([]byte("ecdsa-sha2-nistp256"), []byte("nistp384"), p256Point()))),
		want:   []want{{"values.ssh_keys[0]", `curve is "nistp384"`}}},
	{name: "ecdsa point off curve", tmpl: sshAllowed,
		values: keys(keyLine("ecdsa-sha2-nistp256", sshStrings([]byte("ecdsa-sha2-nistp256"), []byte("nistp256"), append([]byte{4}, bytes.Repeat([]byte{1}, 64)...)))),
		want:   []want{{"values.ssh_keys[0]", "not a point on nistp256"}}},
	{name: "truncated", tmpl: sshAllowed, values: keys(keyLine("ssh-ed25519", ed25519Blob[:30])),
		want: []want{{"values.ssh_keys[0]", "truncated"}}},
	{name: "trailing bytes", tmpl: sshAllowed, values: keys(keyLine("ssh-ed25519", append(bytes.Clone(ed25519Blob), 0))),
		want: []want{{"values.ssh_keys[0]", "1 unexpected bytes at the end"}}},
	{name: "short ed25519", tmpl: sshAllowed, values: keys(keyLine("ssh-ed25519", sshStrings([]byte("ssh-ed25519"), make([]byte, 31)))),
		want: []want{{"values.ssh_keys[0]", "31 bytes, want 32"}}},
	{name: "sk without application", tmpl: sshAllowed, values: keys(keyLine(skEd, sshStrings([]byte(skEd), make([]byte, 32)))),
		want: []want{{"values.ssh_keys[0]", "truncated"}}},
	{name: "rsa 1024", tmpl: sshAllowed, values: keys(keyRSA1024),
		want: []want{{"values.ssh_keys[0]", "RSA key has 1024 bits, at least 2048 required"}}},
	{name: "rsa even exponent", tmpl: sshAllowed,
		values: keys(keyLine("ssh-rsa", sshStrings([]byte("ssh-rsa"), []byte{2}, append([]byte{0x7f}, make([]byte, 300)...)))),
		want:   []want{{"values.ssh_keys[0]", "exponent"}}},
	{name: "rsa negative modulus", tmpl: sshAllowed,
		values: keys(keyLine("ssh-rsa", sshStrings([]byte("ssh-rsa"), []byte{3}, append([]byte{0x80}, make([]byte, 300)...)))),
		want:   []want{{"values.ssh_keys[0]", "negative"}}},
	{name: "too long", tmpl: sshAllowed, values: keys(keyEd25519 + strings.Repeat("x", 8192)),
		want: []want{{"values.ssh_keys[0]", "at most 8192"}}},
	{name: "errors in numeric order", tmpl: sshAllowed,
		values: keys("x", keyEd25519, "x", "x", "x", "x", "x", "x", "x", "x", "x"),
		want: []want{
			{"values.ssh_keys[0]", "unknown"}, {"values.ssh_keys[2]", "unknown"}, {"values.ssh_keys[3]", "unknown"},
			{"values.ssh_keys[4]", "unknown"}, {"values.ssh_keys[5]", "unknown"}, {"values.ssh_keys[6]", "unknown"},
			{"values.ssh_keys[7]", "unknown"}, {"values.ssh_keys[8]", "unknown"}, {"values.ssh_keys[9]", "unknown"},
			{"values.ssh_keys[10]", "unknown"},
		}},
}

func TestCheckSSHKeys(t *testing.T) { runCheckCases(t, sshKeyCases) }
