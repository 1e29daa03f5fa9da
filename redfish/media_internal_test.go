package redfish

import (
	"strings"
	"testing"
)

func TestRedactImage(t *testing.T) {
	for in, want := range map[string]string{
		"http://10.0.0.1:7480/media/SECRETSECRET/web-1.iso": "http://10.0.0.1:7480/…",
		"https://bmc.example/":                              "https://bmc.example/",
		"":                                                  "",
		"not a url with SECRET":                             "(an image URL)",
	} {
		if got := redactImage(in); got != want || strings.Contains(got, "SECRET") {
			t.Errorf("redactImage(%q) = %q; want %q", in, got, want)
		}
	}
}
