package client

import (
	"bufio"
	"io"
	"strings"
)

// readSSE calls fn with the event name ("message" when unnamed) and data
// of each server-sent event in r, until r ends or fn fails.
func readSSE(r io.Reader, fn func(event, data string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	event, data := "message", ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data != "" {
				if err := fn(event, data); err != nil {
					return err
				}
			}
			event, data = "message", ""
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data += strings.TrimPrefix(line, "data: ")
		}
	}
	if data != "" {
		if err := fn(event, data); err != nil {
			return err
		}
	}
	return sc.Err()
}
