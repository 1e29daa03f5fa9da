package report

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestTailKeepsTheLastBytes(t *testing.T) {
	tail := NewTail(20)
	for i := range 10 {
		fmt.Fprintf(tail, "line %d\n", i)
	}
	if got := tail.String(); got != "ine 7\nline 8\nline 9\n" || len(got) != 20 {
		t.Fatalf("tail %q", got)
	}
	_, _ = io.WriteString(tail, strings.Repeat("x", 50))
	if got := tail.String(); got != strings.Repeat("x", 20) {
		t.Fatalf("after a long write: %q", got)
	}
}
