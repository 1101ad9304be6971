package briefing

import (
	"strings"
	"testing"
	"time"
)

func mustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		in         string
		hour, min  int
		zone       string // "" for time.Local
		wantErrSub string
	}{
		{"08:00 Europe/London", 8, 0, "Europe/London", ""},
		{"08:00", 8, 0, "", ""},
		{"8:30am America/New_York", 8, 30, "America/New_York", ""},
		{"8:30 AM America/New_York", 8, 30, "America/New_York", ""},
		{"12am UTC", 0, 0, "UTC", ""},
		{"12:15pm UTC", 12, 15, "UTC", ""},
		{"7 pm Asia/Tokyo", 19, 0, "Asia/Tokyo", ""},
		{"  23:59   UTC ", 23, 59, "UTC", ""},
		{"", 0, 0, "", "empty"},
		{"8", 0, 0, "", "minutes missing"},
		{"24:00", 0, 0, "", "hour out of range"},
		{"13pm", 0, 0, "", "hour out of range for am/pm"},
		{"08:60", 0, 0, "", "minutes out of range"},
		{"08:00 Mars/Olympus_Mons", 0, 0, "", `unknown time zone "Mars/Olympus_Mons"`},
		{"noon", 0, 0, "", "not a time of day"},
		{"08:00 Europe/London daily", 0, 0, "", "too many words"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := ParseSchedule(tt.in)
			if tt.wantErrSub != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrSub) || !strings.Contains(err.Error(), "want a time of day such as") {
					t.Errorf("got error %v, want one about %q with an example", err, tt.wantErrSub)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSchedule: %v", err)
			}
			wantLoc := time.Local
			if tt.zone != "" {
				wantLoc = mustLoc(t, tt.zone)
			}
			if s.Hour != tt.hour || s.Minute != tt.min || s.Location.String() != wantLoc.String() {
				t.Errorf("got %s, want %02d:%02d %s", s, tt.hour, tt.min, wantLoc)
			}
		})
	}
}

func TestScheduleNextAcrossDST(t *testing.T) {
	london := mustLoc(t, "Europe/London")
	ny := mustLoc(t, "America/New_York")
	tests := []struct {
		name  string
		sched Schedule
		after time.Time
		want  []time.Time // the next few runs, in order
	}{
		{
			"London spring forward: 23 hours apart",
			Schedule{8, 0, london}, time.Date(2025, 3, 29, 9, 0, 0, 0, london),
			[]time.Time{time.Date(2025, 3, 30, 8, 0, 0, 0, london), time.Date(2025, 3, 31, 8, 0, 0, 0, london)},
		},
		{
			"London fall back: 25 hours apart",
			Schedule{8, 0, london}, time.Date(2025, 10, 25, 8, 0, 0, 0, london),
			[]time.Time{time.Date(2025, 10, 26, 8, 0, 0, 0, london), time.Date(2025, 10, 27, 8, 0, 0, 0, london)},
		},
		{
			"exactly at the time: the next day's",
			Schedule{8, 30, ny}, time.Date(2025, 6, 2, 8, 30, 0, 0, ny),
			[]time.Time{time.Date(2025, 6, 3, 8, 30, 0, 0, ny)},
		},
		{
			"before the time: today's",
			Schedule{8, 30, ny}, time.Date(2025, 6, 2, 8, 29, 59, 0, ny),
			[]time.Time{time.Date(2025, 6, 2, 8, 30, 0, 0, ny)},
		},
		{
			"given in another zone",
			Schedule{8, 0, london}, time.Date(2025, 6, 2, 5, 0, 0, 0, ny), // 10:00 in London
			[]time.Time{time.Date(2025, 6, 3, 8, 0, 0, 0, london)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.after
			for i, want := range tt.want {
				got := tt.sched.Next(at)
				if !got.Equal(want) {
					t.Errorf("run %d: got %v, want %v", i+1, got, want)
				}
				at = got
			}
		})
	}
	// Across the gap of a spring-forward night (01:30 does not exist in
	// London on 2025-03-30) and the repeated hour of a fall-back night
	// (01:30 happens twice on 2025-10-26), the briefing runs once a day.
	for _, start := range []time.Time{time.Date(2025, 3, 28, 12, 0, 0, 0, london), time.Date(2025, 10, 24, 12, 0, 0, 0, london)} {
		s := Schedule{1, 30, london}
		at := start
		days := map[string]int{}
		for i := 0; i < 5; i++ {
			at = s.Next(at)
			days[at.In(london).Format(time.DateOnly)]++
			if p := s.Prev(at); !p.Equal(at) {
				t.Errorf("Prev(%v): got %v, want the run itself", at, p)
			}
		}
		if len(days) != 5 {
			t.Errorf("from %v: got runs on days %v, want 5 days, once each", start, days)
		}
	}
}

func TestSchedulePrev(t *testing.T) {
	utc := Schedule{8, 0, time.UTC}
	tests := []struct {
		at, want time.Time
	}{
		{time.Date(2025, 1, 2, 9, 0, 0, 0, time.UTC), time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)},
		{time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC), time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)},
		{time.Date(2025, 1, 2, 7, 59, 0, 0, time.UTC), time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)},
		{time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 28, 8, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := utc.Prev(tt.at); !got.Equal(tt.want) {
			t.Errorf("Prev(%v): got %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestRunLog(t *testing.T) {
	log := RunLog{Dir: t.TempDir()}
	got, err := log.Last("C1")
	if err != nil || !got.IsZero() {
		t.Fatalf("Last of a new channel: got %v, %v; want zero, nil", got, err)
	}
	ran := time.Date(2025, 8, 19, 8, 0, 0, 0, time.UTC)
	if err := log.Record("C1", ran); err != nil {
		t.Fatal(err)
	}
	if got, err := log.Last("C1"); err != nil || !got.Equal(ran) {
		t.Errorf("Last: got %v, %v; want %v", got, err, ran)
	}
	if got, err := log.Last("C2"); err != nil || !got.IsZero() {
		t.Errorf("Last of another channel: got %v, %v; want zero", got, err)
	}
}
