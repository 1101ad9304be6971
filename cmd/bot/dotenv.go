package main

import (
	"errors"
	"io/fs"
	"strings"

	"github.com/joho/godotenv"
)

// withDotenv returns getenv completed by the settings in the .env file at
// path, when there is one: a setting the environment gives wins over the
// file's. BOT_DOTENV=false (in the environment) skips the file.
func withDotenv(getenv func(string) string, path string) (func(string) string, error) {
	on, err := boolSetting(getenv, "BOT_DOTENV", true)
	if err != nil {
		return getenv, settingError{err.Error()}
	}
	if !on {
		return getenv, nil
	}
	file, err := godotenv.Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return getenv, nil
	}
	if err != nil {
		return getenv, settingf("%s: %v (fix the file, or set BOT_DOTENV=false)", path, err)
	}
	return func(k string) string {
		if v := getenv(k); strings.TrimSpace(v) != "" {
			return v
		}
		return file[k]
	}, nil
}
