package inventory

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"ingot.dev/ingot/installer/plan"
)

// cpu reads /proc/cpuinfo: the model, sockets (distinct physical ids),
// cores (sockets × cores per socket) and threads (logical processors).
func cpu(proc string) plan.CPU {
	f, err := os.Open(filepath.Join(proc, "cpuinfo"))
	if err != nil {
		return plan.CPU{}
	}
	defer f.Close()
	var c plan.CPU
	sockets := map[string]bool{}
	perSocket := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "processor":
			c.Threads++
		case "model name":
			c.Model = v
		case "physical id":
			sockets[v] = true
		case "cpu cores":
			perSocket, _ = strconv.Atoi(v)
		}
	}
	c.Sockets = max(len(sockets), 1)
	c.Cores = c.Sockets * perSocket
	if c.Cores == 0 {
		c.Cores = c.Threads
	}
	return c
}

// memory returns MemTotal from /proc/meminfo in bytes.
func memory(proc string) int64 {
	f, err := os.Open(filepath.Join(proc, "meminfo"))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
