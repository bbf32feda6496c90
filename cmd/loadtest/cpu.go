package main

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The throughput of a row depends on how the two cores were shared among
// the load generator, the fixtures and Plugboard, which drifts from run to
// run. The CPU time each process spent per request does not: it is what a
// request costs, and where.

// clockTick is the unit of /proc/<pid>/stat's times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// cpuTime is the CPU time (user and system, all threads) that process pid
// has used so far, or 0 when it cannot be read (not Linux).
func cpuTime(pid int) time.Duration {
	own, _ := cpuTimes(pid)
	return own
}

// cpuTimes is cpuTime, and beside it the CPU time of the process's
// children that have ended and that it has waited for.
func cpuTimes(pid int) (own, children time.Duration) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0
	}
	// The command name (field 2) may hold spaces; the fields after it
	// start past its closing parenthesis.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 15 {
		return 0, 0
	}
	var t [4]int64 // utime, stime, cutime, cstime
	for i := range t {
		t[i], _ = strconv.ParseInt(fields[11+i], 10, 64)
	}
	return time.Duration(t[0]+t[1]) * clockTick, time.Duration(t[2]+t[3]) * clockTick
}

// cpuSample is the CPU time of the run's processes at one moment.
type cpuSample struct{ generator, fixtures, proxy, nodes, database time.Duration }

func (e *env) cpuNow() cpuSample {
	s := cpuSample{generator: cpuTime(os.Getpid()), fixtures: cpuTime(e.fixPID)}
	for _, pid := range slices.Concat(e.proxyPIDs, e.pgSinkPIDs) {
		s.proxy += cpuTime(pid)
	}
	for _, n := range e.nodes {
		s.nodes += cpuTime(n.cmd.Process.Pid)
	}
	if e.o.postgres != "" {
		s.database = postgresCPU()
	}
	return s
}

// postgresCPU is the CPU time of this machine's PostgreSQL processes (the
// server and its backends, whoever they serve), or 0 when PostgreSQL runs
// elsewhere. It counts the backends that have ended too: their time moves
// to the server process's children's when it reaps them, and without it a
// connection closed during a row took all the CPU it had ever used out of
// the row's figure (which read below zero for the sinks, that use none).
func postgresCPU() time.Duration {
	dirs, _ := os.ReadDir("/proc")
	var total time.Duration
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if comm, err := os.ReadFile("/proc/" + d.Name() + "/comm"); err == nil && strings.TrimSpace(string(comm)) == "postgres" {
			own, children := cpuTimes(pid)
			total += own + children
		}
	}
	return total
}

func (s cpuSample) sub(t cpuSample) cpuSample {
	return cpuSample{s.generator - t.generator, s.fixtures - t.fixtures, s.proxy - t.proxy, s.nodes - t.nodes, s.database - t.database}
}

func (s cpuSample) add(t cpuSample) cpuSample {
	return cpuSample{s.generator + t.generator, s.fixtures + t.fixtures, s.proxy + t.proxy, s.nodes + t.nodes, s.database + t.database}
}
