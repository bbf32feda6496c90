package logging

import (
	"context"
	"log/slog"
)

// Library is the logger for libraries that log through slog's default
// (the OAuth provider library announces each route it registers at info):
// their informational lines go out at debug level, so that at the default
// level a server's start shows its own banner and lines, and their
// warnings and errors keep their level.
func Library(l *slog.Logger) *slog.Logger {
	return slog.New(quieter{l.Handler()})
}

type quieter struct{ inner slog.Handler }

func lowered(level slog.Level) slog.Level {
	if level < slog.LevelWarn {
		return slog.LevelDebug
	}
	return level
}

func (q quieter) Enabled(ctx context.Context, level slog.Level) bool {
	return q.inner.Enabled(ctx, lowered(level))
}

func (q quieter) Handle(ctx context.Context, r slog.Record) error {
	r.Level = lowered(r.Level)
	return q.inner.Handle(ctx, r)
}

func (q quieter) WithAttrs(attrs []slog.Attr) slog.Handler { return quieter{q.inner.WithAttrs(attrs)} }

func (q quieter) WithGroup(name string) slog.Handler { return quieter{q.inner.WithGroup(name)} }
