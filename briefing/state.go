package briefing

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// State is what a briefing posted to a channel covered, kept to say what
// changed in the next one.
type State struct {
	Channel  string       `json:"channel"`
	PostedAt time.Time    `json:"posted_at"`
	Stories  []StoryState `json:"stories"`
}

// StoryState is one story of a posted briefing.
type StoryState struct {
	Key      string   `json:"key"`
	Articles []string `json:"articles"`
}

// State returns the state of b once posted to channel at postedAt.
func (b Briefing) State(channel string, postedAt time.Time) State {
	st := State{Channel: channel, PostedAt: postedAt, Stories: []StoryState{}}
	for _, s := range b.Stories {
		st.Stories = append(st.Stories, StoryState{Key: s.Key, Articles: slices.Clone(s.Articles)})
	}
	return st
}

// markChanges marks the stories that are new since prev (no previous story
// shares an article with them) or updated (they have articles that the
// previous stories sharing one did not).
func markChanges(stories []Story, prev State) {
	owner := map[string]int{} // article ID -> previous story
	for i, ps := range prev.Stories {
		for _, id := range ps.Articles {
			owner[id] = i
		}
	}
	for i := range stories {
		s := &stories[i]
		s.New, s.Updated, s.NewArticles = false, false, nil
		matched := map[int]bool{}
		for _, id := range s.Articles {
			if k, ok := owner[id]; ok {
				matched[k] = true
			}
		}
		if len(matched) == 0 {
			s.New = true
			continue
		}
		known := map[string]bool{}
		for k := range matched {
			for _, id := range prev.Stories[k].Articles {
				known[id] = true
			}
		}
		for _, id := range s.Articles {
			if !known[id] {
				s.NewArticles = append(s.NewArticles, id)
			}
		}
		s.Updated = len(s.NewArticles) > 0
	}
}

// StateStore keeps the state of the last briefing posted to each channel
// as a JSON file in Dir. Writes are atomic (a temporary file renamed into
// place). It is safe for concurrent use by one process when channels
// differ; the last Save of a channel wins.
type StateStore struct {
	Dir string
}

// ErrNoState is returned by Load when no briefing was posted to the channel.
var ErrNoState = errors.New("no briefing posted to this channel yet")

// path returns the state file of channel. Channel IDs are encoded so that
// any name is a safe file name.
func (s StateStore) path(channel string) string {
	return filepath.Join(s.Dir, "briefing-state-"+hex.EncodeToString([]byte(channel))+".json")
}

// Load returns the state of the last briefing posted to channel, or
// ErrNoState.
func (s StateStore) Load(channel string) (State, error) {
	data, err := os.ReadFile(s.path(channel))
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, ErrNoState
	}
	if err != nil {
		return State{}, fmt.Errorf("load briefing state of %q: %w", channel, err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return State{}, fmt.Errorf("load briefing state of %q: %w", channel, err)
	}
	return st, nil
}

// Save records st as the last briefing posted to st.Channel.
func (s StateStore) Save(st State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("save briefing state of %q: %w", st.Channel, err)
	}
	if err := writeAtomic(s.path(st.Channel), data); err != nil {
		return fmt.Errorf("save briefing state of %q: %w", st.Channel, err)
	}
	return nil
}

// writeAtomic writes data to path through a temporary file in the same
// directory, synced and renamed into place.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
