package briefing

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	// The time zone database, embedded, for machines without one (minimal
	// containers): BOT_BRIEFING_TIME names zones such as Europe/London.
	// It is used only when the system has no zoneinfo.
	_ "time/tzdata"
)

// Schedule is a time of day in a time zone at which the briefing is posted.
type Schedule struct {
	Hour, Minute int
	Location     *time.Location
}

var clockRE = regexp.MustCompile(`^(\d{1,2})(?::(\d{2}))?\s*([aApP][mM])?$`)

// ParseSchedule parses a time of day with an optional time zone, as
// BOT_BRIEFING_TIME gives it: "08:00" (the machine's local time),
// "08:00 Europe/London", "8:30am America/New_York", "8 pm UTC". A time
// without am/pm is on the 24-hour clock and needs its minutes.
func ParseSchedule(s string) (Schedule, error) {
	bad := func(why string) (Schedule, error) {
		return Schedule{}, fmt.Errorf("briefing time %q: %s; want a time of day such as 08:00, 8:30am or 08:00 Europe/London", s, why)
	}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return bad("empty")
	}
	clock := fields[0]
	rest := fields[1:]
	if len(rest) > 0 && (strings.EqualFold(rest[0], "am") || strings.EqualFold(rest[0], "pm")) {
		clock += rest[0]
		rest = rest[1:]
	}
	m := clockRE.FindStringSubmatch(clock)
	if m == nil {
		return bad("not a time of day")
	}
	h, _ := strconv.Atoi(m[1])
	min := 0
	if m[2] != "" {
		min, _ = strconv.Atoi(m[2])
	}
	switch ampm := strings.ToLower(m[3]); {
	case ampm == "" && m[2] == "":
		return bad("minutes missing")
	case ampm == "" && h > 23:
		return bad("hour out of range")
	case ampm != "" && (h < 1 || h > 12):
		return bad("hour out of range for am/pm")
	case ampm == "am" && h == 12:
		h = 0
	case ampm == "pm" && h != 12:
		h += 12
	}
	if min > 59 {
		return bad("minutes out of range")
	}
	loc := time.Local
	switch len(rest) {
	case 0:
	case 1:
		l, err := time.LoadLocation(rest[0])
		if err != nil || rest[0] == "" {
			return bad(fmt.Sprintf("unknown time zone %q", rest[0]))
		}
		loc = l
	default:
		return bad("too many words")
	}
	return Schedule{Hour: h, Minute: min, Location: loc}, nil
}

// String returns the schedule as "08:00 Europe/London".
func (s Schedule) String() string {
	return fmt.Sprintf("%02d:%02d %s", s.Hour, s.Minute, s.loc())
}

func (s Schedule) loc() *time.Location {
	if s.Location == nil {
		return time.Local
	}
	return s.Location
}

// on returns the scheduled time on the calendar day of t (in the schedule's
// zone). On a day when the clock skips the time (a daylight saving gap) it
// is the moment the clock would have shown it.
func (s Schedule) on(t time.Time) time.Time {
	t = t.In(s.loc())
	return time.Date(t.Year(), t.Month(), t.Day(), s.Hour, s.Minute, 0, 0, s.loc())
}

// Next returns the first scheduled time strictly after after: once a day,
// daylight saving changes included.
func (s Schedule) Next(after time.Time) time.Time {
	t := s.on(after)
	for !t.After(after) {
		d := t.In(s.loc())
		t = s.on(time.Date(d.Year(), d.Month(), d.Day()+1, 12, 0, 0, 0, s.loc()))
	}
	return t
}

// Prev returns the latest scheduled time at or before at.
func (s Schedule) Prev(at time.Time) time.Time {
	t := s.on(at)
	for t.After(at) {
		d := t.In(s.loc())
		t = s.on(time.Date(d.Year(), d.Month(), d.Day()-1, 12, 0, 0, 0, s.loc()))
	}
	return t
}

// Clock tells the time and sleeps; tests give the Slack app's scheduler a
// fake one.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done and then returns its error.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d or until ctx is done.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RunLog records when the scheduled briefing last ran for each channel, as
// small JSON files in Dir (written atomically): what older versions kept.
// The Slack app keeps its schedule in the data directory's store and
// reads the last run of BOT_BRIEFING_CHANNEL from here once.
type RunLog struct {
	Dir string
}

type runRecord struct {
	Channel string    `json:"channel"`
	RanAt   time.Time `json:"ran_at"`
}

func (r RunLog) path(channel string) string {
	return filepath.Join(r.Dir, "briefing-lastrun-"+hex.EncodeToString([]byte(channel))+".json")
}

// Last returns when the briefing last ran for channel, or the zero time
// when it never did.
func (r RunLog) Last(channel string) (time.Time, error) {
	data, err := os.ReadFile(r.path(channel))
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("last briefing run of %q: %w", channel, err)
	}
	var rec runRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return time.Time{}, fmt.Errorf("last briefing run of %q: %w", channel, err)
	}
	return rec.RanAt, nil
}

// Record notes that the briefing ran for channel at t.
func (r RunLog) Record(channel string, t time.Time) error {
	data, err := json.Marshal(runRecord{Channel: channel, RanAt: t})
	if err != nil {
		return fmt.Errorf("record briefing run of %q: %w", channel, err)
	}
	if err := writeAtomic(r.path(channel), data); err != nil {
		return fmt.Errorf("record briefing run of %q: %w", channel, err)
	}
	return nil
}
