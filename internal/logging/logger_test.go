package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

const testToken = "pb_live_9f8e7d6c5b4a"

type connection struct {
	ID          string
	AccessToken string
	Settings    map[string]any `json:"settings"`
}

// logEverything logs testToken in every shape a caller might reach for.
func logEverything(logger *slog.Logger) {
	logger.Info("connected",
		slog.String("token", testToken),
		slog.String("clientSecret", testToken),
		slog.Group("auth", slog.String("api_key", testToken), slog.String("header", "X-Api-Key")),
		slog.Group("credentials", slog.String("username", testToken)),
		slog.Any("connection", connection{ID: "conn_1", AccessToken: testToken,
			Settings: map[string]any{"refresh_token": testToken, "retries": 3}}),
		slog.Any("connection_ptr", &connection{ID: "conn_2", AccessToken: testToken}),
		slog.Any("headers", http.Header{"Authorization": {"Bearer " + testToken}}),
		slog.Any("body", json.RawMessage(`{"password":"`+testToken+`"}`)),
	)
	logger.WithGroup("oauth").With(slog.String("refresh_token", testToken)).Info("refreshed")
}

func TestNewRedactsSecrets(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			logEverything(New(&buf, slog.LevelInfo, format))
			out := buf.String()
			if strings.Contains(out, testToken) {
				t.Fatalf("token appears in the log:\n%s", out)
			}
			for _, visible := range []string{"conn_1", "conn_2", "X-Api-Key", "connected", "refreshed", "retries"} {
				if !strings.Contains(out, visible) {
					t.Errorf("%q is missing from the log:\n%s", visible, out)
				}
			}
		})
	}
}

func TestNewJSONStaysStructured(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := New(&buf, slog.LevelInfo, "json")
	logger.Info("call",
		slog.Any("connection", connection{ID: "conn_1", AccessToken: testToken}),
		slog.Int("max_tokens", 1024),
		slog.Duration("token_ttl", time.Minute),
		slog.Any("err", errors.New("upstream said no")),
	)
	var entry struct {
		Connection map[string]any `json:"connection"`
		MaxTokens  int            `json:"max_tokens"`
		TokenTTL   int64          `json:"token_ttl"`
		Err        string         `json:"err"`
	}
	if err := json.Unmarshal(buf.Bytes(), &entry); err != nil {
		t.Fatalf("log line is not JSON: %v\n%s", err, buf.String())
	}
	if entry.Connection["ID"] != "conn_1" || entry.Connection["AccessToken"] != Redacted {
		t.Errorf("connection = %v, want its ID kept and its token masked", entry.Connection)
	}
	if entry.MaxTokens != 1024 || entry.TokenTTL != int64(time.Minute) {
		t.Errorf("numbers were masked: max_tokens %d, token_ttl %d", entry.MaxTokens, entry.TokenTTL)
	}
	if entry.Err != "upstream said no" {
		t.Errorf("err = %q, want the error text", entry.Err)
	}
}

func TestNewLevelAndFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format string
		prefix string
	}{
		{"json", "{"},
		{"JSON", "{"},
		{"text", "time="},
		{"", "time="},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		logger := New(&buf, slog.LevelWarn, tt.format)
		logger.Info("hidden")
		logger.Warn("shown")
		out := buf.String()
		if strings.Contains(out, "hidden") || !strings.Contains(out, "shown") {
			t.Errorf("format %q: level not applied:\n%s", tt.format, out)
		}
		if !strings.HasPrefix(out, tt.prefix) {
			t.Errorf("format %q: output %q does not start with %q", tt.format, out, tt.prefix)
		}
	}
}
