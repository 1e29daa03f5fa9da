package debootstrap

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// ErrNoMirror is returned when the host's apt sources name no mirror for a
// suite and the recipe names none either.
var ErrNoMirror = errors.New("no Debian mirror configured for the suite")

// MirrorFor returns the URI of the first "deb" source in the apt
// configuration under root (etc/apt/sources.list, then
// etc/apt/sources.list.d/*.list and *.sources in name order) that serves
// suite.
func MirrorFor(root fs.FS, suite string) (string, error) {
	files := []string{"etc/apt/sources.list"}
	for _, ext := range []string{"*.list", "*.sources"} {
		m, _ := fs.Glob(root, "etc/apt/sources.list.d/"+ext)
		files = append(files, m...)
	}
	slices.Sort(files[1:])
	for _, f := range files {
		b, err := fs.ReadFile(root, f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return "", fmt.Errorf("reading apt sources: %w", err)
		}
		parse := oneLine
		if path.Ext(f) == ".sources" {
			parse = deb822
		}
		for _, s := range parse(string(b)) {
			if s.deb && slices.Contains(s.suites, suite) && len(s.uris) > 0 {
				return s.uris[0], nil
			}
		}
	}
	return "", fmt.Errorf("suite %s in /etc/apt/sources.list{,.d}: %w; set mirror in the recipe", suite, ErrNoMirror)
}

type source struct {
	deb    bool
	uris   []string
	suites []string
}

// oneLine parses "deb [options] URI suite component..." lines.
func oneLine(s string) []source {
	var out []source
	for _, l := range strings.Split(s, "\n") {
		l, _, _ = strings.Cut(l, "#")
		f := strings.Fields(l)
		if len(f) > 0 && strings.HasPrefix(f[0], "deb") && len(f) > 1 && strings.HasPrefix(f[1], "[") {
			for len(f) > 1 && !strings.HasSuffix(f[1], "]") {
				f = append(f[:1], f[2:]...)
			}
			f = append(f[:1], f[2:]...)
		}
		if len(f) >= 3 {
			out = append(out, source{deb: f[0] == "deb", uris: f[1:2], suites: f[2:3]})
		}
	}
	return out
}

// deb822 parses the stanzas of a .sources file.
func deb822(s string) []source {
	var out []source
	for _, stanza := range strings.Split(strings.ReplaceAll(s, "\r", ""), "\n\n") {
		fields := map[string][]string{}
		key := ""
		sc := bufio.NewScanner(strings.NewReader(stanza))
		for sc.Scan() {
			l := sc.Text()
			if strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "" {
				continue
			}
			if (l[0] == ' ' || l[0] == '\t') && key != "" {
				fields[key] = append(fields[key], strings.Fields(l)...)
				continue
			}
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				continue
			}
			key = strings.ToLower(strings.TrimSpace(k))
			fields[key] = strings.Fields(v)
		}
		if len(fields) == 0 || slices.Contains(fields["enabled"], "no") {
			continue
		}
		out = append(out, source{deb: slices.Contains(fields["types"], "deb"), uris: fields["uris"], suites: fields["suites"]})
	}
	return out
}
