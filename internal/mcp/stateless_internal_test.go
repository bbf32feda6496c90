package mcp

import (
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestAgentServersFollowActiveAgents: the requests of one agent share its
// server while any runs, and it is dropped once none has for agentIdle, so
// that what stateless requests keep follows the agents active now.
func TestAgentServersFollowActiveAgents(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	s.agentIdle = 50 * time.Millisecond
	made := 0
	load := func() (*toolSet, error) {
		made++
		return &toolSet{srv: sdk.NewServer(s.implementation(), nil), agentID: "agt_1"}, nil
	}
	held := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.agents)
	}
	first, err := s.acquire("agt_1", load)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := s.acquire("agt_1", load)
	if first != second || made != 1 {
		t.Fatalf("two requests of one agent got %p and %p, %d servers made", first, second, made)
	}
	s.release(first)
	time.Sleep(4 * s.agentIdle)
	if held() != 1 {
		t.Fatal("the server was dropped while a request of its agent ran")
	}
	s.release(second)
	for deadline := time.Now().Add(5 * time.Second); held() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the server outlived its agent's last request")
		}
	}
	again, _ := s.acquire("agt_1", load)
	if again == first || made != 2 {
		t.Errorf("a request after the drop reused the dropped server")
	}
	s.release(again)
}
