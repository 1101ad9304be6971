package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is the release version, stamped at build time with
// -ldflags "-X main.version=v1.2.3" (make build, make image, GoReleaser).
// Empty, it is read from the module version of `go install` or the VCS
// revision `go build` records.
var version string

// versionString describes this build in one line.
func versionString() string {
	v, rev, dirty := version, "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	s := "briefbot " + v
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if dirty {
			rev += "+dirty"
		}
		s += " (" + rev + ")"
	}
	return fmt.Sprintf("%s %s %s/%s", s, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// runVersion prints the version.
func runVersion(args []string, stdout io.Writer) error {
	if wantsHelp(args) {
		return helpRequest{commandUsage("version", nil)}
	}
	if len(args) > 0 {
		return usagef("version takes no arguments")
	}
	_, err := fmt.Fprintln(stdout, versionString())
	return err
}
