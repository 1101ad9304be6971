package article

import (
	"testing"
	"time"
)

func TestFindDate(t *testing.T) {
	utc := func(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, time.UTC) }
	tests := []struct {
		in   string
		want time.Time // zero: no date
	}{
		{"August 19, 2025", utc(2025, 8, 19, 0, 0)},
		{"Aug. 19, 2025", utc(2025, 8, 19, 0, 0)},
		{"Sept. 3 2025", utc(2025, 9, 3, 0, 0)},
		{"19 August 2025", utc(2025, 8, 19, 0, 0)},
		{"the 19th of August, 2025", utc(2025, 8, 19, 0, 0)},
		{"Tue 19 Aug 2025 14.05 BST", utc(2025, 8, 19, 13, 5)},
		{"Tuesday, August 19, 2025 at 3:04 p.m. ET", utc(2025, 8, 19, 19, 4)},
		{"Jan 10, 2025 3:04 PM ET", utc(2025, 1, 10, 20, 4)},
		{"Updated 3:04 PM EDT, Tue August 19, 2025", utc(2025, 8, 19, 19, 4)},
		{"2025-08-19", utc(2025, 8, 19, 0, 0)},
		{"2025-08-19T14:05:00+01:00", utc(2025, 8, 19, 13, 5)},
		{"2025-08-19 14:05", utc(2025, 8, 19, 14, 5)},
		{"2025/08/19", utc(2025, 8, 19, 0, 0)},
		{"12 May 2025, 09:30 the talks", utc(2025, 5, 12, 9, 30)},
		{"on Tuesday", time.Time{}},
		{"Aug 19", time.Time{}},
		{"08/19/2025", time.Time{}},
		{"31 June 2025", time.Time{}},
		{"may 5, 1492", time.Time{}},
		{"2025-13-01", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m, ok := findDate(tt.in)
			if ok != !tt.want.IsZero() || (ok && !m.t.Equal(tt.want)) {
				t.Errorf("got %v (found %v), want %v", m.t.UTC(), ok, tt.want)
			}
		})
	}
}

func TestParseMetaDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2023-11-27T08:45:59+00:00", time.Date(2023, 11, 27, 8, 45, 59, 0, time.UTC)},
		{"2023-11-27T08:45:59Z", time.Date(2023, 11, 27, 8, 45, 59, 0, time.UTC)},
		{"2023-11-27 08:45:59", time.Date(2023, 11, 27, 8, 45, 59, 0, time.UTC)},
		{"2023-11-27", time.Date(2023, 11, 27, 0, 0, 0, 0, time.UTC)},
		{"Mon, 27 Nov 2023 08:45:59 +0000", time.Date(2023, 11, 27, 8, 45, 59, 0, time.UTC)},
		{"1701074759", time.Date(2023, 11, 27, 8, 45, 59, 0, time.UTC)},
		{"1701074759000", time.Date(2023, 11, 27, 8, 45, 59, 0, time.UTC)},
		{"November 27, 2023", time.Date(2023, 11, 27, 0, 0, 0, 0, time.UTC)},
		{"", time.Time{}},
		{"soon", time.Time{}},
		{"42", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseMetaDate(tt.in)
			if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
				t.Errorf("got %v (found %v), want %v", got, ok, tt.want)
			}
		})
	}
}

func TestDateLine(t *testing.T) {
	tests := []struct {
		in      string
		ok      bool
		updated bool
		name    string
	}{
		{"Published: 19 August 2025", true, false, ""},
		{"Last updated on Aug. 20, 2025 at 10:00 a.m. ET", true, true, ""},
		{"Jane Doe, August 19, 2025", true, false, "Jane Doe"},
		{"Tue 19 Aug 2025 14.05 BST", true, false, ""},
		{"The talks that began on August 19, 2025 resumed in Geneva.", false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, updated, name, ok := dateLine(tt.in)
			if ok != tt.ok || updated != tt.updated || name != tt.name {
				t.Errorf("got ok %v, updated %v, name %q; want %v, %v, %q", ok, updated, name, tt.ok, tt.updated, tt.name)
			}
		})
	}
}
