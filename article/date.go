package article

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

const (
	monthPattern   = `(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?`
	weekdayPattern = `(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)\.?,?\s+)?`
	clockPattern   = `(\d{1,2})[:.](\d{2})(?:\s*([ap])\.?\s?m\b\.?)?(?:\s*\(?([a-z]{1,5})\b\)?)?`
)

var (
	// "August 19, 2025", "Tue, Aug. 19 2025"
	mdyDate = regexp.MustCompile(`(?i)\b` + weekdayPattern + monthPattern + `\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b`)
	// "19 August 2025", "Tue 19 Aug 2025"
	dmyDate = regexp.MustCompile(`(?i)\b` + weekdayPattern + `(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?` + monthPattern + `,?\s+(\d{4})\b`)
	// "2025-08-19", "2025-08-19T14:05:00+01:00"
	isoDate = regexp.MustCompile(`\b(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?\b`)
	// "2025/08/19"
	slashDate = regexp.MustCompile(`\b(\d{4})/(\d{1,2})/(\d{1,2})\b`)
	// a time of day right after a date: ", 2:05 p.m. EDT", " 14.05 BST", " at 09:30"
	clockAfter = regexp.MustCompile(`(?i)^(?:\s*(?:,|at|-|–|—|·|\||•)?\s*)` + clockPattern)
	// a time of day anywhere on a date line
	clockAnywhere = regexp.MustCompile(`(?i)\b` + clockPattern)
)

// dateMatch is a date found in a string.
type dateMatch struct {
	t          time.Time
	start, end int // byte range of the date and any time of day after it
	clock      bool
}

// findDate returns the first calendar date with a year in s, with the time
// of day and zone when they follow it. Dates without a year, relative dates
// ("on Tuesday") and ambiguous numeric dates ("08/09/2025") are not dates
// here.
func findDate(s string) (dateMatch, bool) {
	best := dateMatch{start: -1}
	try := func(m dateMatch, ok bool) {
		if ok && (best.start < 0 || m.start < best.start) {
			best = m
		}
	}
	if loc := mdyDate.FindStringSubmatchIndex(s); loc != nil {
		try(calendarDate(s, loc, group(s, loc, 2), group(s, loc, 1), group(s, loc, 3)))
	}
	if loc := dmyDate.FindStringSubmatchIndex(s); loc != nil {
		try(calendarDate(s, loc, group(s, loc, 1), group(s, loc, 2), group(s, loc, 3)))
	}
	if loc := isoDate.FindStringSubmatchIndex(s); loc != nil {
		try(isoMatch(s, loc))
	}
	if loc := slashDate.FindStringSubmatchIndex(s); loc != nil {
		y, _ := strconv.Atoi(group(s, loc, 1))
		m, _ := strconv.Atoi(group(s, loc, 2))
		d, _ := strconv.Atoi(group(s, loc, 3))
		if t, ok := makeDate(y, m, d); ok {
			try(dateMatch{t: t, start: loc[0], end: loc[1]}, true)
		}
	}
	if best.start < 0 {
		return best, false
	}
	if !best.clock {
		best = withClock(s, best)
	}
	return best, true
}

func group(s string, loc []int, i int) string {
	if loc[2*i] < 0 {
		return ""
	}
	return s[loc[2*i]:loc[2*i+1]]
}

func calendarDate(s string, loc []int, day, month, year string) (dateMatch, bool) {
	d, _ := strconv.Atoi(day)
	y, _ := strconv.Atoi(year)
	t, ok := makeDate(y, monthNumber(month), d)
	return dateMatch{t: t, start: loc[0], end: loc[1]}, ok
}

func isoMatch(s string, loc []int) (dateMatch, bool) {
	y, _ := strconv.Atoi(group(s, loc, 1))
	mo, _ := strconv.Atoi(group(s, loc, 2))
	d, _ := strconv.Atoi(group(s, loc, 3))
	t, ok := makeDate(y, mo, d)
	if !ok {
		return dateMatch{}, false
	}
	m := dateMatch{t: t, start: loc[0], end: loc[1]}
	if hh := group(s, loc, 4); hh != "" {
		h, _ := strconv.Atoi(hh)
		mi, _ := strconv.Atoi(group(s, loc, 5))
		sec, _ := strconv.Atoi(group(s, loc, 6))
		if h > 23 || mi > 59 || sec > 60 {
			return dateMatch{}, false
		}
		zone := time.UTC
		if z := group(s, loc, 7); z != "" && z != "Z" {
			zone = offsetZone(z)
		}
		m.t = time.Date(y, time.Month(mo), d, h, mi, sec, 0, zone)
		m.clock = true
	}
	return m, true
}

// offsetZone turns "+01:00" or "-0500" into a fixed zone.
func offsetZone(z string) *time.Location {
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	digits := strings.ReplaceAll(z[1:], ":", "")
	if len(digits) != 4 {
		return time.UTC
	}
	h, _ := strconv.Atoi(digits[:2])
	m, _ := strconv.Atoi(digits[2:])
	return time.FixedZone(z, sign*(h*3600+m*60))
}

func makeDate(y, m, d int) (time.Time, bool) {
	if y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false // 31 June and the like
	}
	return t, true
}

func monthNumber(name string) int {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	for i, m := range []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if strings.HasPrefix(name, m) {
			return i + 1
		}
	}
	return 0
}

// withClock adds the time of day written right after the date, or else
// anywhere else on the line ("Updated 3:04 PM EDT, Tue August 19, 2025").
func withClock(s string, m dateMatch) dateMatch {
	if loc := clockAfter.FindStringSubmatchIndex(s[m.end:]); loc != nil {
		if t, end, ok := applyClock(s[m.end:], loc, m.t); ok {
			m.t, m.end, m.clock = t, m.end+end, true
			return m
		}
	}
	for _, part := range []string{s[:m.start], s[m.end:]} {
		loc := clockAnywhere.FindStringSubmatchIndex(part)
		// Away from the date, "14.05" alone may be any number: want a colon,
		// am/pm or a zone.
		if loc != nil && (part[loc[4]-1] == ':' || loc[6] >= 0 || loc[8] >= 0) {
			if t, _, ok := applyClock(part, loc, m.t); ok {
				m.t, m.clock = t, true
				return m
			}
		}
	}
	return m
}

// applyClock sets the time of day of date from a clockPattern match. It
// returns where the match ends, leaving out a trailing word that is not a
// time zone.
func applyClock(s string, loc []int, date time.Time) (time.Time, int, bool) {
	h, _ := strconv.Atoi(group(s, loc, 1))
	mi, _ := strconv.Atoi(group(s, loc, 2))
	ampm := strings.ToLower(group(s, loc, 3))
	if mi > 59 || h > 23 || (ampm != "" && (h < 1 || h > 12)) {
		return date, 0, false
	}
	switch {
	case ampm == "p" && h < 12:
		h += 12
	case ampm == "a" && h == 12:
		h = 0
	}
	end := loc[1]
	zone := time.UTC
	if z := strings.ToLower(group(s, loc, 4)); z != "" {
		if off, ok := zoneOffset(z, date); ok {
			zone = time.FixedZone(strings.ToUpper(z), off*60)
		} else {
			end = loc[7] // the end of the am/pm part or the minutes
			if loc[6] < 0 {
				end = loc[5]
			}
		}
	}
	return time.Date(date.Year(), date.Month(), date.Day(), h, mi, 0, 0, zone), end, true
}

// zoneOffset returns the UTC offset in minutes of a zone abbreviation.
func zoneOffset(z string, date time.Time) (int, bool) {
	if off, ok := timeZones[z]; ok {
		return off, true
	}
	if off, ok := usZones[z]; ok {
		if usDaylightSaving(date) {
			off += 60
		}
		return off, true
	}
	return 0, false
}

// isZone reports whether z, in lower case, is a time-zone abbreviation.
func isZone(z string) bool {
	_, ok := timeZones[z]
	_, us := usZones[z]
	return ok || us
}

// usDaylightSaving reports whether US daylight saving time is in force on
// date: from the second Sunday in March to the first Sunday in November.
func usDaylightSaving(date time.Time) bool {
	y := date.Year()
	start := nthSunday(y, time.March, 2)
	end := nthSunday(y, time.November, 1)
	return !date.Before(start) && date.Before(end)
}

func nthSunday(y int, m time.Month, n int) time.Time {
	t := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	for t.Weekday() != time.Sunday {
		t = t.AddDate(0, 0, 1)
	}
	return t.AddDate(0, 0, 7*(n-1))
}

// metaLayouts are the layouts tried for a record's published_at.
var metaLayouts = []string{
	time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02", time.RFC1123Z,
	time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST", time.RFC850,
	time.ANSIC, "2006/01/02", "January 2, 2006", "Jan 2, 2006", "2 January 2006", "2 Jan 2006",
}

// parseMetaDate reads a publication date given as metadata: an RFC 3339 or
// other common timestamp, a Unix time in seconds or milliseconds, or a
// written date.
func parseMetaDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range metaLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n > 1e11 && n < 4e12:
			return time.UnixMilli(n).UTC(), true
		case n > 1e8 && n < 4e9:
			return time.Unix(n, 0).UTC(), true
		}
		return time.Time{}, false
	}
	if m, ok := findDate(s); ok {
		return m.t, true
	}
	return time.Time{}, false
}
