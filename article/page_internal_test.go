package article

import "testing"

func TestOutletLine(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for not an outlet line
	}{
		{"The Independent UK", "The Independent UK"},
		{"The Kyiv Independent", "The Kyiv Independent"},
		{"BBC News - World", "BBC News - World"},
		{"Politico Europe", "Politico Europe"},
		{"Reuters", "Reuters"},
		{"The  Guardian", "The Guardian"},
		{"Associated Press", "Associated Press"},
		{"Reuters reported", ""},
		{"Express Delivery Returns", ""},
		{"Example Gazette", ""},
		{"The Guardian reported on Tuesday that talks would resume.", ""},
		{"Independent experts say the plan will fail", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := outletLine(tt.in)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("got %q (%v), want %q", got, ok, tt.want)
			}
		})
	}
}

func TestIsPersonList(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"John Bowden", true},
		{"Ursula von der Leyen", true},
		{"J. D. Vance", true},
		{"Sinéad O’Connor", true},
		{"JOHN BOWDEN", true},
		{"Jane Doe and John Roe", true},
		{"Jane Doe, John Roe & Ann Poe", true},
		{"Outlook", false},
		{"Summary", false},
		{"Related Stories", false},
		{"European Leaders Meet in Washington", false},
		{"Key events", false},
		{"Tuesday Afternoon", false},
		{"The Independent UK", false},
		{"Trump won from Putin", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := isPersonList(tt.in); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestByline(t *testing.T) {
	tests := []struct {
		in, name, outlet string
		ok               bool
	}{
		{"By Jane Doe", "Jane Doe", "", true},
		{"By Jane Doe, Reuters", "Jane Doe", "Reuters", true},
		{"*By Maria Lopez* | 19 August 2025", "Maria Lopez", "", true},
		{"By Jane Doe and John Roe, Associated Press | Aug. 21, 2025", "Jane Doe and John Roe", "Associated Press", true},
		{"By Jane Doe, Political Correspondent", "Jane Doe", "", true},
		{"By Tuesday afternoon, it was completely unclear whether that was still feasible.", "", "", false},
		{"Bypass roads reopened", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			name, outlet, ok := byline(tt.in)
			if name != tt.name || outlet != tt.outlet || ok != tt.ok {
				t.Errorf("got %q, %q, %v; want %q, %q, %v", name, outlet, ok, tt.name, tt.outlet, tt.ok)
			}
		})
	}
}
