package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/joho/godotenv"
	"golang.org/x/term"
)

func TestHelp(t *testing.T) {
	t.Parallel()
	type tc struct {
		name string
		env  env
		args []string
		want string // the synopsis the usage must give
	}
	tests := []tc{
		{"bot --help", env{}, []string{"--help"}, "Usage: bot [COMMAND]"},
		{"bot -h", env{}, []string{"-h"}, "Usage: bot [COMMAND]"},
		{"bot help", env{}, []string{"help"}, "Usage: bot [COMMAND]"},
		{"bot help ask", env{}, []string{"help", "ask"}, "Usage: bot ask [flags] [QUESTION]"},
		{"help despite a bad setting", env{"BOT_PASSAGES": "lots"}, []string{"ask", "--help"}, "Usage: bot ask"},
		{"help after a question", env{}, []string{"ask", "what happened?", "-h"}, "Usage: bot ask"},
	}
	for name := range commandHelp {
		for _, flag := range []string{"--help", "-h"} {
			tests = append(tests, tc{"bot " + name + " " + flag, env{}, []string{name, flag}, "Usage: bot " + name})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := filepath.Join(t.TempDir(), "data")
			tt.env["BOT_DATA_DIR"] = data
			out, errOut, code := runBot(t, tt.env, "", tt.args...)
			if code != 0 || errOut != "" {
				t.Errorf("exit %d, stderr %q; want 0 and nothing", code, errOut)
			}
			if !strings.HasPrefix(out, tt.want) {
				t.Errorf("stdout starts %.60q, want %q", out, tt.want)
			}
			if _, err := os.Stat(data); err == nil {
				t.Errorf("--help created the data directory")
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string // the whole of stderr
	}{
		{"unknown command", []string{"frobnicate"}, "bot: unknown command \"frobnicate\"; see `bot --help`\n"},
		{"unknown flag", []string{"ask", "--nope", "q"}, "bot: flag provided but not defined: -nope; see `bot ask --help`\n"},
		{"flag value", []string{"ask", "--k", "many", "q"}, "bot: invalid value \"many\" for flag -k: parse error; see `bot ask --help`\n"},
		{"empty question", []string{"ask", " "}, "bot: empty question; see `bot ask --help`\n"},
		{"ingest without a path", []string{"ingest"}, "bot: ingest needs at least one file, directory, feed URL or page URL; see `bot ingest --help`\n"},
		{"feedback with arguments", []string{"feedback", "x"}, "bot: feedback takes no arguments; see `bot feedback --help`\n"},
		{"feedback since what", []string{"feedback", "--since", "last week"}, "bot: --since \"last week\" is not a date (2025-03-04), a time (RFC 3339) or a time ago (7d, 36h); see `bot feedback --help`\n"},
		{"arguments without a command", []string{"--json"}, "bot: unexpected arguments [\"--json\"]; see `bot --help`\n"},
		{"help on nothing", []string{"help", "nothing"}, "bot: no command \"nothing\" to give help on; see `bot help --help`\n"},
		{"version with arguments", []string{"version", "x"}, "bot: version takes no arguments; see `bot version --help`\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := runBot(t, env{}, "", tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if errOut != tt.want {
				t.Errorf("stderr %q, want %q", errOut, tt.want)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, errOut, code := runBot(t, env{}, "", args...)
		if code != 0 || errOut != "" {
			t.Errorf("%v: exit %d, stderr %q; want 0 and nothing", args, code, errOut)
		}
		if !strings.HasPrefix(out, "briefbot ") || !strings.Contains(out, runtime.Version()) || strings.Count(out, "\n") != 1 {
			t.Errorf("%v: got %q, want one line \"briefbot VERSION ... %s ...\"", args, out, runtime.Version())
		}
	}
}

func TestDefaultDataDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  env
		goos string
		want string
	}{
		{"XDG_DATA_HOME", env{"XDG_DATA_HOME": "/xdg", "HOME": "/home/ann"}, "linux", "/xdg/briefbot"},
		{"relative XDG_DATA_HOME is ignored", env{"XDG_DATA_HOME": "rel", "HOME": "/home/ann"}, "linux", "/home/ann/.local/share/briefbot"},
		{"home", env{"HOME": "/home/ann"}, "linux", "/home/ann/.local/share/briefbot"},
		{"macOS home", env{"HOME": "/Users/ann"}, "darwin", "/Users/ann/.local/share/briefbot"},
		{"windows", env{"LOCALAPPDATA": "/appdata", "USERPROFILE": "/users/ann"}, "windows", "/appdata/briefbot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := defaultDataDir(tt.env.get, tt.goos)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.FromSlash(tt.want); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
	if _, err := defaultDataDir(env{}.get, "linux"); err == nil {
		t.Error("no home and no BOT_DATA_DIR: got no error, want one naming BOT_DATA_DIR")
	}
	cfg, err := loadConfig(env{"HOME": "/home/ann"}.get)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.FromSlash("/home/ann/.local/share/briefbot"); cfg.DataDir != want {
		t.Errorf("config without BOT_DATA_DIR: data dir %q, want %q", cfg.DataDir, want)
	}
	if cfg, _ := loadConfig(env{"HOME": "/home/ann", "BOT_DATA_DIR": "/srv/bot"}.get); cfg.DataDir != "/srv/bot" {
		t.Errorf("BOT_DATA_DIR=/srv/bot: data dir %q", cfg.DataDir)
	}
}

func TestWithDotenv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	if err := os.WriteFile(path, []byte("BOT_PASSAGES=3\nBOT_BRIEFING_TIME=\"08:00 Europe/London\"\nBOT_ADDR=:4000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.env")
	if err := os.WriteFile(bad, []byte("BOT_PASSAGES=\"3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     env
		path    string
		key     string
		want    string
		wantErr bool
	}{
		{"from the file", env{}, path, "BOT_PASSAGES", "3", false},
		{"quoted value", env{}, path, "BOT_BRIEFING_TIME", "08:00 Europe/London", false},
		{"the environment wins", env{"BOT_PASSAGES": "5"}, path, "BOT_PASSAGES", "5", false},
		{"not in the file", env{"BOT_RATE_BURST": "2"}, path, "BOT_RATE_BURST", "2", false},
		{"turned off", env{"BOT_DOTENV": "false"}, path, "BOT_PASSAGES", "", false},
		{"no file", env{}, filepath.Join(dir, "none.env"), "BOT_PASSAGES", "", false},
		{"malformed file", env{}, bad, "", "", true},
		{"bad BOT_DOTENV", env{"BOT_DOTENV": "maybe"}, path, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv, err := withDotenv(tt.env.get, tt.path)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got := getenv(tt.key); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

// TestEnvExampleParses checks .env.example reads the same with godotenv
// and with a POSIX shell (set -a; . ./.env), and that run accepts it.
func TestEnvExampleParses(t *testing.T) {
	t.Parallel()
	path, err := filepath.Abs(filepath.Join("..", "..", ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	file, err := godotenv.Read(path)
	if err != nil {
		t.Fatalf("godotenv: %v", err)
	}
	if got := file["BOT_BRIEFING_TIME"]; !strings.Contains(got, " ") {
		t.Errorf("BOT_BRIEFING_TIME = %q, want the example with its time zone", got)
	}
	keys := make([]string, 0, len(file))
	for k := range file {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	script := "set -a; . " + path + "; set +a"
	for _, k := range keys {
		script += "; printf '%s=%s\\n' " + k + " \"$" + k + "\""
	}
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sh cannot source .env.example: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		k, shell, _ := strings.Cut(line, "=")
		if file[k] != shell {
			t.Errorf("%s: godotenv reads %q, sh reads %q", k, file[k], shell)
		}
	}
	file["BOT_DATA_DIR"] = t.TempDir()
	if _, err := loadConfig(env(file).get); err != nil {
		t.Errorf("the example's settings are refused: %v", err)
	}
}

// TestDotenvThroughRun runs `bot health` in a directory with a .env that
// points BOT_ADDR at a live server; the environment's BOT_ADDR wins over it.
func TestDotenvThroughRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadAddr := dead.Listener.Addr().String()
	dead.Close()

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("BOT_ADDR="+srv.Listener.Addr().String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	live, _ := healthURL(srv.Listener.Addr().String())
	gone, _ := healthURL(deadAddr)
	tests := []struct {
		name     string
		env      env
		wantCode int
		wantURL  string // the address asked
	}{
		{".env read", env{"BOT_DOTENV": ""}, 0, live},
		{"environment wins", env{"BOT_DOTENV": "", "BOT_ADDR": deadAddr}, 1, gone},
		{"BOT_DOTENV=false", env{"BOT_DOTENV": "false"}, -1, "http://127.0.0.1:3000/healthz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runBot(t, tt.env, "", "health", "--timeout", "2s")
			if tt.wantCode >= 0 && code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out+errOut, tt.wantURL) {
				t.Errorf("output %q, want it to name %s", out+errOut, tt.wantURL)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	status := func(code int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || r.URL.Path != "/healthz" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(code)
			io.WriteString(w, http.StatusText(code))
		}))
		t.Cleanup(srv.Close)
		return srv.Listener.Addr().String()
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	deadAddr := dead.Listener.Addr().String()
	dead.Close()
	_, port, _ := strings.Cut(status(200), ":")
	tests := []struct {
		name     string
		env      env
		args     []string
		wantCode int
		wantOut  string
	}{
		{"healthy at BOT_ADDR", env{"BOT_ADDR": status(200)}, nil, 0, "/healthz: OK"},
		{"listening on every address", env{"BOT_ADDR": ":" + port}, nil, 0, "http://127.0.0.1:" + port + "/healthz: OK"},
		{"--addr", env{"BOT_ADDR": deadAddr}, []string{"--addr", status(200)}, 0, "OK"},
		{"unhealthy", env{"BOT_ADDR": status(503)}, nil, 1, ""},
		{"nothing listening", env{"BOT_ADDR": deadAddr}, nil, 1, ""},
		{"bad address", env{}, []string{"--addr", "nonsense"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := runBot(t, tt.env, "", append([]string{"health"}, tt.args...)...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout %q, want it to contain %q", out, tt.wantOut)
			}
		})
	}
}

func TestTermReader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		want  []string // lines read before io.EOF
	}{
		{"enter", "first question\r", []string{"first question"}},
		{"backspace", "helpo\x7f\x7fo\r", []string{"helo"}},
		{"cursor keys", "secnd\x1b[D\x1b[Do\r", []string{"second"}},
		{"history", "one\rtwo\r\x1b[A\x1b[A\r\x1b[A\r", []string{"one", "two", "one", "one"}},
		{"Ctrl-D on an empty line", "q\r\x04", []string{"q"}},
		{"Ctrl-C mid-line", "half a qu\x03", nil},
		{"end of input", "q\r", []string{"q"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var screen strings.Builder
			raws, restores := 0, 0
			r := &termReader{
				t: term.NewTerminal(struct {
					io.Reader
					io.Writer
				}{strings.NewReader(tt.input), &screen}, "> "),
				raw: func() (func(), error) {
					raws++
					return func() { restores++ }, nil
				},
				size: func() (int, int, error) { return 80, 24, nil },
			}
			var got []string
			for {
				line, err := r.ReadLine()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, line)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got lines %q, want %q", got, tt.want)
			}
			if raws != restores || raws != len(tt.want)+1 {
				t.Errorf("raw mode entered %d times, left %d times; want %d each", raws, restores, len(tt.want)+1)
			}
			if !strings.HasPrefix(screen.String(), "> ") {
				t.Errorf("screen %q does not start with the prompt", screen.String())
			}
		})
	}
}

func TestPlainReader(t *testing.T) {
	t.Parallel()
	var screen strings.Builder
	r := newLineReader(strings.NewReader("a\n\nb"), &screen, "> ")
	if _, ok := r.(*plainReader); !ok {
		t.Fatalf("got a %T for a pipe, want a plain reader", r)
	}
	var got []string
	for {
		line, err := r.ReadLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, line)
	}
	if want := []string{"a", "", "b"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if want := "> > > > \n"; screen.String() != want {
		t.Errorf("screen %q, want %q", screen.String(), want)
	}
}

func TestNewLogger(t *testing.T) {
	t.Parallel()
	slack := env{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
	tests := []struct {
		name     string
		env      env
		cmd      string
		toFile   bool
		wantInfo bool // info lines are written
	}{
		{"ask: warnings by default", env{}, "ask", false, false},
		{"ask: BOT_LOG_LEVEL=info", env{"BOT_LOG_LEVEL": "info"}, "ask", false, true},
		{"chat: never info on the terminal", env{"BOT_LOG_LEVEL": "info"}, "chat", false, false},
		{"bare bot chats: never info on the terminal", env{"BOT_LOG_LEVEL": "debug"}, "", false, false},
		{"chat: info into BOT_LOG_FILE", env{"BOT_LOG_LEVEL": "info"}, "chat", true, true},
		{"slack app: info by default", slack, "", false, true},
		{"json", env{"BOT_LOG_LEVEL": "info", "BOT_LOG_FORMAT": "json"}, "ask", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.env["BOT_DATA_DIR"] = t.TempDir()
			file := filepath.Join(t.TempDir(), "bot.log")
			if tt.toFile {
				tt.env["BOT_LOG_FILE"] = file
			}
			cfg, err := loadConfig(tt.env.get)
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			logger, closeLog, err := newLogger(cfg, tt.cmd, &stderr)
			if err != nil {
				t.Fatal(err)
			}
			logger.Info("index ready", "chunks", 3)
			logger.Warn("model slow", "err", "timeout")
			closeLog()
			got := stderr.String()
			if tt.toFile {
				if got != "" {
					t.Errorf("stderr %q, want nothing with BOT_LOG_FILE", got)
				}
				b, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				got = string(b)
			}
			if strings.Contains(got, "index ready") != tt.wantInfo {
				t.Errorf("info line written = %v, want %v:\n%s", !tt.wantInfo, tt.wantInfo, got)
			}
			if !strings.Contains(got, "model slow") {
				t.Errorf("warning missing:\n%s", got)
			}
			if tt.env["BOT_LOG_FORMAT"] == "json" {
				for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
					var v map[string]any
					if err := json.Unmarshal([]byte(line), &v); err != nil || v["msg"] == nil || v["level"] == nil {
						t.Errorf("line %q is not a JSON log record (%v)", line, err)
					}
				}
			}
		})
	}
	if _, err := loadConfig(env{"BOT_DATA_DIR": "d", "BOT_LOG_FORMAT": "xml"}.get); err == nil || !strings.Contains(err.Error(), "BOT_LOG_FORMAT") {
		t.Errorf("BOT_LOG_FORMAT=xml: error %v, want one naming the setting", err)
	}
}

// TestTermReaderNoSize: a terminal that reports a zero size (a fresh pty)
// keeps the editor's 80 columns instead of wrapping every character.
func TestTermReaderNoSize(t *testing.T) {
	t.Parallel()
	var screen strings.Builder
	r := &termReader{
		t: term.NewTerminal(struct {
			io.Reader
			io.Writer
		}{strings.NewReader("abcdef\r"), &screen}, "> "),
		raw:  func() (func(), error) { return func() {}, nil },
		size: func() (int, int, error) { return 0, 0, nil },
	}
	line, err := r.ReadLine()
	if err != nil || line != "abcdef" {
		t.Fatalf("got %q, %v; want abcdef", line, err)
	}
	if !strings.Contains(screen.String(), "> abcdef") {
		t.Errorf("screen %q, want the line on one row", screen.String())
	}
}
