package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

func TestTeams(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		ctx := context.Background()
		org, owner := newOrg(t, s, "teams@example.com")
		other, stranger := newOrg(t, s, "other-teams@example.com")
		in, _ := s.CreateIntegration(ctx, store.Integration{OrgID: org.ID, Slug: "ledger", Name: "Ledger"}, []byte(`{}`))
		team, err := s.CreateTeam(ctx, org.ID, "Finance")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateTeam(ctx, org.ID, "Finance"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate team name: %v", err)
		}
		if err := s.SetTeamMember(ctx, org.ID, team.ID, stranger.ID, true); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a user of another organization joined the team: %v", err)
		}
		if err := s.SetTeamMember(ctx, org.ID, team.ID, owner.ID, true); err != nil {
			t.Fatal(err)
		}
		if teams, _ := s.IntegrationTeams(ctx, in.ID); len(teams) != 0 {
			t.Fatalf("new integration restricted to %v", teams)
		}
		if err := s.SetIntegrationTeams(ctx, other.ID, in.ID, []string{team.ID}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another organization's team was attached: %v", err)
		}
		if err := s.SetIntegrationTeams(ctx, org.ID, in.ID, []string{team.ID}); err != nil {
			t.Fatal(err)
		}
		teams, _ := s.IntegrationTeams(ctx, in.ID)
		if len(teams) != 1 || teams[0] != team.ID {
			t.Fatalf("restriction = %v (a stale memoized answer?)", teams)
		}
		if ok, _ := s.InAnyTeam(ctx, owner.ID, teams); !ok {
			t.Fatal("the member is not in the team")
		}
		list, _ := s.ListTeams(ctx, org.ID)
		if len(list) != 1 || len(list[0].Members) != 1 || list[0].Members[0] != owner.ID {
			t.Fatalf("teams = %+v", list)
		}
		if err := s.DeleteTeam(ctx, org.ID, team.ID); err != nil {
			t.Fatal(err)
		}
		if teams, _ := s.IntegrationTeams(ctx, in.ID); len(teams) != 0 {
			t.Fatalf("deleting the team left the restriction %v", teams)
		}
	})
}
