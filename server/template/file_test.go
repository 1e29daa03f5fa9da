package template

import (
	"strings"
	"testing"

	"ingot.dev/ingot/api"
)

func TestCheckFiles(t *testing.T) {
	allowed := api.Template{Files: api.FileRule{Allowed: true}}
	globs := api.Template{Files: api.FileRule{Allowed: true, Paths: []string{"/etc/motd", "/etc/ssh/sshd_config.d/*.conf"}}}
	files := func(f ...api.File) api.HostValues { return api.HostValues{Files: f} }
	file := func(p string) api.File { return api.File{Path: p, Content: "x"} }
	runCheckCases(t, []checkCase{
		{name: "locked", values: files(file("/etc/motd")),
			want: []want{{"values.files", "must set template.files.allowed"}}},
		{name: "any path without globs", tmpl: allowed, values: files(file("/etc/motd"), file("/opt/app/config.yaml"))},
		{name: "glob matches", tmpl: globs, values: files(file("/etc/motd"), file("/etc/ssh/sshd_config.d/50-site.conf"))},
		{name: "glob misses", tmpl: globs, values: files(file("/etc/shadow")),
			want: []want{{"values.files[0].path", "not a path the hostgroup template allows (template.files.paths): /etc/motd, /etc/ssh/sshd_config.d/*.conf"}}},
		{name: "star does not cross slash", tmpl: globs, values: files(file("/etc/ssh/sshd_config.d/x/y.conf")),
			want: []want{{"values.files[0].path", "not a path the hostgroup template allows"}}},
		{name: "relative", tmpl: allowed, values: files(file("etc/motd")),
			want: []want{{"values.files[0].path", "not absolute"}}},
		{name: "empty path", tmpl: allowed, values: files(file("")),
			want: []want{{"values.files[0].path", "missing"}}},
		{name: "dot dot", tmpl: globs, values: files(file("/etc/ssh/sshd_config.d/../../shadow.conf")),
			want: []want{{"values.files[0].path", "contains '..'"}}},
		{name: "not clean", tmpl: allowed, values: files(file("/etc//motd"), file("/etc/./motd"), file("/etc/motd/")),
			want: []want{{"values.files[0].path", "did you mean /etc/motd"},
				{"values.files[1].path", "did you mean /etc/motd"},
				{"values.files[2].path", "did you mean /etc/motd"}}},
		{name: "root", tmpl: allowed, values: files(file("/")),
			want: []want{{"values.files[0].path", "root directory"}}},
		{name: "NUL", tmpl: allowed, values: files(file("/etc/motd\x00.bak")),
			want: []want{{"values.files[0].path", "control character"}}},
		{name: "long name", tmpl: allowed, values: files(file("/etc/" + strings.Repeat("a", 256))),
			want: []want{{"values.files[0].path", "at most 255"}}},
		{name: "duplicate", tmpl: allowed, values: files(file("/etc/motd"), file("/etc/motd")),
			want: []want{{"values.files[1].path", "the same path as values.files[0].path"}}},
		{name: "max met", tmpl: api.Template{Files: api.FileRule{Allowed: true, Max: 1}}, values: files(file("/a"))},
		{name: "max exceeded", tmpl: api.Template{Files: api.FileRule{Allowed: true, Max: 1}}, values: files(file("/a"), file("/b")),
			want: []want{{"values.files", "at most 1 (template.files.max), got 2"}}},
		{name: "default size limit met", tmpl: allowed,
			values: files(api.File{Path: "/a", Content: strings.Repeat("x", 64<<10)})},
		{name: "default size limit exceeded", tmpl: allowed,
			values: files(api.File{Path: "/a", Content: strings.Repeat("x", 64<<10+1)}),
			want:   []want{{"values.files[0].content", "65537 bytes, more than the hostgroup template allows (65536"}}},
		{name: "own size limit", tmpl: api.Template{Files: api.FileRule{Allowed: true, MaxBytes: 3}},
			values: files(api.File{Path: "/a", Content: "abc"}, api.File{Path: "/b", Content: "abcd"}),
			want:   []want{{"values.files[1].content", "4 bytes"}}},
		{name: "mode ok", tmpl: allowed, values: files(api.File{Path: "/a", Mode: 0o7777})},
		{name: "mode too big", tmpl: allowed, values: files(api.File{Path: "/a", Mode: 0o10000}),
			want: []want{{"values.files[0].mode", "beyond the permission bits"}}},
	})
}

func TestCheckFilesHidesContent(t *testing.T) {
	tmpl := api.Template{Files: api.FileRule{Allowed: true, MaxBytes: 1}}
	errs := Check(tmpl, api.HostValues{Files: []api.File{{Path: "/a", Content: "TOPSECRET"}}})
	if len(errs) != 1 || errs[0].Value != nil || strings.Contains(errs[0].Message, "TOPSECRET") {
		t.Errorf("Check = %#v, want one error that does not echo the content", errs)
	}
}
