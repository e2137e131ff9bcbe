package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadRawAgentFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kea-ctrl-agent.conf")
	data := "// kea-ctrl-agent.conf\n{ \"Control-agent\": { \"http-host\": \"127.0.0.1\", /* port */ \"http-port\": 8000 } }\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	top, err := LoadRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	if p := top.Get("Control-agent").Get("http-port"); p == nil || p.I != 8000 {
		t.Fatalf("http-port = %v", p)
	}
	if _, err := LoadRaw(filepath.Join(t.TempDir(), "missing.conf")); err == nil {
		t.Fatal("a missing file must be an error")
	}
}
