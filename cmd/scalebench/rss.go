package main

import (
	"bufio"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// procStatus returns a field of /proc/self/status in bytes (VmRSS,
// VmHWM), or 0 where there is no such file (not Linux).
func procStatus(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// settledRSS returns the resident set size once the Go heap has been
// collected and its free pages returned to the system.
func settledRSS() uint64 {
	debug.FreeOSMemory()
	return procStatus("VmRSS")
}

// resetPeakRSS makes the peak resident set size (VmHWM) start again from
// the current one; it reports whether the system allows that.
func resetPeakRSS() bool {
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS returns the peak resident set size since the last resetPeakRSS.
func peakRSS() uint64 { return procStatus("VmHWM") }
