package template

import (
	"bytes"
	"crypto/ecdh"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"ingot.dev/ingot/api"
)

const sshKeysPath = "values.ssh_keys"

// maxKeyLine is the longest authorized_keys line accepted; a 16384-bit RSA
// key with a long comment fits.
const maxKeyLine = 8192

// minRSABits is the smallest RSA modulus accepted.
const minRSABits = 2048

// sshKeyTypes maps each accepted key type to the parser of the rest of its
// wire-format blob (after the type string).
var sshKeyTypes = map[string]func(*sshReader) error{
	"ssh-ed25519":                        parseEd25519,
	"ssh-rsa":                            parseRSA,
	"ecdsa-sha2-nistp256":                ecdsaParser("nistp256", ecdh.P256(), false),
	"ecdsa-sha2-nistp384":                ecdsaParser("nistp384", ecdh.P384(), false),
	"ecdsa-sha2-nistp521":                ecdsaParser("nistp521", ecdh.P521(), false),
	"sk-ssh-ed25519@openssh.com":         parseSKEd25519,
	"sk-ecdsa-sha2-nistp256@openssh.com": ecdsaParser("nistp256", ecdh.P256(), true),
}

const sshKeyTypeList = "ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, " +
	"sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com"

func checkSSHKeys(c *collector, r api.ListRule, keys []string) {
	if len(keys) > 0 && !r.Allowed {
		c.locked(sshKeysPath, "ssh_keys", len(keys))
		return
	}
	countLimits(c, sshKeysPath, "ssh_keys", len(keys), r.Min, r.Max)
	seen := map[string]int{}
	for i, k := range keys {
		path := fmt.Sprintf("%s[%d]", sshKeysPath, i)
		blob, err := parseAuthorizedKey(k)
		if err != nil {
			c.add(path, k, "not a usable SSH public key: %v", err)
			continue
		}
		if j, dup := seen[blob]; dup {
			c.add(path, k, "the same key as %s[%d]", sshKeysPath, j)
		} else {
			seen[blob] = i
		}
		checkPattern(c, path, k, k, r.Pattern, "ssh_keys.pattern")
	}
}

// parseAuthorizedKey checks one authorized_keys line, "type base64-blob
// [comment]", and returns the decoded blob. Options before the type (such
// as from="...") are not accepted.
func parseAuthorizedKey(line string) (string, error) {
	if len(line) > maxKeyLine {
		return "", fmt.Errorf("%d characters long, at most %d allowed", len(line), maxKeyLine)
	}
	if i := strings.IndexFunc(line, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }); i >= 0 {
		return "", fmt.Errorf("contains control character %q: give one key per entry, on one line", line[i])
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return "", errors.New("empty")
	}
	typ := fields[0]
	parse, ok := sshKeyTypes[typ]
	if !ok {
		if strings.ContainsAny(typ, "=,\"") {
			return "", fmt.Errorf("authorized_keys options are not accepted; start with the key type, one of %s", sshKeyTypeList)
		}
		return "", fmt.Errorf("unknown key type %q: want one of %s", typ, sshKeyTypeList)
	}
	if len(fields) < 2 {
		return "", fmt.Errorf("%s key has no key data after the type", typ)
	}
	blob, err := base64.StdEncoding.Strict().DecodeString(fields[1])
	if err != nil {
		return "", fmt.Errorf("key data is not valid base64: %w", err)
	}
	if err := parseBlob(typ, blob, parse); err != nil {
		return "", fmt.Errorf("%s key data is malformed: %w", typ, err)
	}
	return string(blob), nil
}

func parseBlob(typ string, blob []byte, parse func(*sshReader) error) error {
	r := &sshReader{b: blob}
	embedded, err := r.str()
	if err != nil {
		return err
	}
	if string(embedded) != typ {
		return fmt.Errorf("it holds a %q key, not %q", embedded, typ)
	}
	if err := parse(r); err != nil {
		return err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%d unexpected bytes at the end", len(r.b))
	}
	return nil
}

func parseEd25519(r *sshReader) error {
	pk, err := r.str()
	if err != nil {
		return err
	}
	if len(pk) != 32 {
		return fmt.Errorf("ed25519 public key is %d bytes, want 32", len(pk))
	}
	return nil
}

func parseSKEd25519(r *sshReader) error {
	if err := parseEd25519(r); err != nil {
		return err
	}
	_, err := r.str() // application, usually "ssh:"
	return err
}

func parseRSA(r *sshReader) error {
	e, err := r.mpint()
	if err != nil {
		return err
	}
	n, err := r.mpint()
	if err != nil {
		return err
	}
	if e.Sign() <= 0 || e.Bit(0) == 0 {
		return errors.New("RSA public exponent is not a positive odd number")
	}
	if bits := n.BitLen(); bits < minRSABits {
		return fmt.Errorf("RSA key has %d bits, at least %d required", bits, minRSABits)
	}
	return nil
}

func ecdsaParser(curveName string, curve ecdh.Curve, sk bool) func(*sshReader) error {
	return func(r *sshReader) error {
		name, err := r.str()
		if err != nil {
			return err
		}
		if string(name) != curveName {
			return fmt.Errorf("curve is %q, want %q", name, curveName)
		}
		point, err := r.str()
		if err != nil {
			return err
		}
		if _, err := curve.NewPublicKey(point); err != nil {
			return fmt.Errorf("public key is not a point on %s", curveName)
		}
		if sk {
			_, err = r.str() // application
		}
		return err
	}
}

// sshReader reads the SSH wire format (RFC 4251 section 5).
type sshReader struct {
	b []byte
}

var errShort = errors.New("truncated")

func (r *sshReader) str() ([]byte, error) {
	if len(r.b) < 4 {
		return nil, errShort
	}
	n := binary.BigEndian.Uint32(r.b)
	if uint64(n) > uint64(len(r.b)-4) {
		return nil, errShort
	}
	s := r.b[4 : 4+n]
	r.b = r.b[4+n:]
	return s, nil
}

func (r *sshReader) mpint() (*big.Int, error) {
	s, err := r.str()
	if err != nil {
		return nil, err
	}
	if len(s) > 0 && s[0]&0x80 != 0 {
		return nil, errors.New("negative integer")
	}
	if len(s) > 1 && s[0] == 0 && s[1]&0x80 == 0 {
		return nil, errors.New("integer has a needless leading zero")
	}
	return new(big.Int).SetBytes(bytes.Clone(s)), nil
}
