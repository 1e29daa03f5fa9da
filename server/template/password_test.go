package template

import (
	"strings"
	"testing"

	"ingot.dev/ingot/api"
)

// Hashes of "hunter2" made with openssl passwd and libxcrypt.
const (
	hashSHA512   = "$6$saltsalt$8iYtNHxjWRl.NF6oNZ5tF.iKFlQREaXBLlSmZKP6dy9l5z3vsooWNW0/GZ6Nej73/TFug6pIPSqbJoCT6dfnj."
	hashSHA512R  = "$6$rounds=10000$saltsalt$ZTNXXHFyLAi.0f6IV4I1ziqTD4etecjPY.wSj7UV9ctRg0t3APls5/5wgDKKPAKtz42rw3DeefzFnFyha0DdM."
	hashSHA256   = "$5$saltsalt$OIdfjX.u4Y3SJ4I2bX8w5BMf1VAUhHABNUirScDzZi3"
	hashYescrypt = "$y$jBT$abcd$tlUX8u.su473s9BA3zmPR5rrlPydgz9R6s0gpQTqSW5"
	hashBcrypt   = "$2b$10$abcdefghijklmnopqrstuu7gIUFBKrYXdzQy8HrouzMJyZ4cijAb2"
)

func TestCheckPassword(t *testing.T) {
	allowed := api.Template{PasswordHash: api.StringRule{Allowed: true}}
	pw := func(h string) api.HostValues { return api.HostValues{PasswordHash: h} }
	var tests []checkCase
	for _, h := range []string{hashSHA512, hashSHA512R, hashSHA256, hashYescrypt, hashBcrypt} {
		tests = append(tests, checkCase{name: "valid " + h[:3], tmpl: allowed, values: pw(h)})
	}
	tests = append(tests, []checkCase{
		{name: "locked", values: pw(hashYescrypt), want: []want{{"values.password_hash", "must set template.password_hash.allowed"}}},
		{name: "required", tmpl: api.Template{PasswordHash: api.StringRule{Allowed: true, Required: true}},
			want: []want{{"values.password_hash", "required"}}},
		{name: "plaintext", tmpl: allowed, values: pw("hunter2"),
			want: []want{{"values.password_hash", "looks like a plaintext password"}}},
		{name: "md5 crypt", tmpl: allowed, values: pw("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"),
			want: []want{{"values.password_hash", "not a crypt(3) password hash"}}},
		{name: "2y bcrypt", tmpl: allowed, values: pw("$2y" + hashBcrypt[3:]),
			want: []want{{"values.password_hash", "not a crypt(3)"}}},
		{name: "bcrypt cost too low", tmpl: allowed, values: pw("$2b$03" + hashBcrypt[6:]),
			want: []want{{"values.password_hash", "not a crypt(3)"}}},
		{name: "truncated sha512", tmpl: allowed, values: pw(hashSHA512[:len(hashSHA512)-1]),
			want: []want{{"values.password_hash", "not a crypt(3)"}}},
		{name: "locked account marker", tmpl: allowed, values: pw("!"),
			want: []want{{"values.password_hash", "not a crypt(3)"}}},
		{name: "newline appended", tmpl: allowed, values: pw(hashSHA256 + "\n"),
			want: []want{{"values.password_hash", "not a crypt(3)"}}},
		{name: "pattern", tmpl: api.Template{PasswordHash: api.StringRule{Allowed: true, Pattern: `\$y\$.*`}}, values: pw(hashSHA512),
			want: []want{{"values.password_hash", "password_hash.pattern"}}},
	}...)
	runCheckCases(t, tests)
}

func TestCheckPasswordNeverEchoed(t *testing.T) {
	for _, tmpl := range []api.Template{{}, {PasswordHash: api.StringRule{Allowed: true}}} {
		errs := Check(tmpl, api.HostValues{PasswordHash: "correct horse battery"})
		if len(errs) != 1 {
			t.Fatalf("Check = %q, want one error", errs)
		}
		if errs[0].Value != nil || strings.Contains(errs[0].Message, "horse") {
			t.Errorf("error %#v echoes the password", errs[0])
		}
	}
}
