//go:build !unix

package main

// peakRSSMiB is the process's peak resident memory; 0 where the system does
// not report it through getrusage (Windows).
func peakRSSMiB() float64 { return 0 }
