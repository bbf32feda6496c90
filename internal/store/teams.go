package store

import (
	"context"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/id"
)

// Team is a group of an organization's members.
type Team struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"org_id"`
	Name      string    `json:"name"`
	Members   []string  `json:"members"` // user ids
	CreatedAt time.Time `json:"created_at"`
}

// CreateTeam adds a team in a transaction of its own.
func (s *Store) CreateTeam(ctx context.Context, orgID, name string) (Team, error) {
	return inTx(ctx, s, func(tx *Tx) (Team, error) { return tx.CreateTeam(ctx, orgID, name) })
}

// CreateTeam adds a team; a name already used in the organization is
// ErrConflict.
func (t *Tx) CreateTeam(ctx context.Context, orgID, name string) (Team, error) {
	team := Team{ID: id.New("team"), OrgID: orgID, Name: name, Members: []string{}, CreatedAt: time.Now().UTC()}
	t.touch()
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO teams (id, org_id, name, created_at) VALUES (?, ?, ?, ?)`), team.ID, orgID, name, team.CreatedAt.UnixMilli())
	if err != nil {
		return Team{}, fmt.Errorf("create team %q: %w", name, mapErr(err))
	}
	return team, nil
}

// ListTeams lists an organization's teams with their members.
func (s *Store) ListTeams(ctx context.Context, orgID string) ([]Team, error) {
	teams, err := queryAll(ctx, s.r, s.q(`SELECT id, org_id, name, created_at FROM teams WHERE org_id = ? ORDER BY name`), func(row rowScanner) (Team, error) {
		var t Team
		var c int64
		err := row.Scan(&t.ID, &t.OrgID, &t.Name, &c)
		t.CreatedAt, t.Members = ms(c), []string{}
		return t, err
	}, orgID)
	if err != nil {
		return nil, err
	}
	type member struct{ team, user string }
	members, err := queryAll(ctx, s.r, s.q(`SELECT m.team_id, m.user_id FROM team_members m JOIN teams t ON t.id = m.team_id WHERE t.org_id = ? ORDER BY m.user_id`), func(row rowScanner) (member, error) {
		var m member
		return m, row.Scan(&m.team, &m.user)
	}, orgID)
	if err != nil {
		return nil, err
	}
	byID := map[string]*Team{}
	for i := range teams {
		byID[teams[i].ID] = &teams[i]
	}
	for _, m := range members {
		if t := byID[m.team]; t != nil {
			t.Members = append(t.Members, m.user)
		}
	}
	return teams, nil
}

// DeleteTeam removes a team in a transaction of its own.
func (s *Store) DeleteTeam(ctx context.Context, orgID, teamID string) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.DeleteTeam(ctx, orgID, teamID) })
}

// DeleteTeam removes a team; integrations restricted only to it become
// visible to the whole organization again.
func (t *Tx) DeleteTeam(ctx context.Context, orgID, teamID string) error {
	t.touch()
	res, err := t.tx.ExecContext(ctx, t.s.q(`DELETE FROM teams WHERE org_id = ? AND id = ?`), orgID, teamID)
	return affected(res, err)
}

// SetTeamMember adds or removes a member, in a transaction of its own.
func (s *Store) SetTeamMember(ctx context.Context, orgID, teamID, userID string, member bool) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.SetTeamMember(ctx, orgID, teamID, userID, member) })
}

// SetTeamMember adds (member true) or removes a user of the same
// organization to or from a team.
func (t *Tx) SetTeamMember(ctx context.Context, orgID, teamID, userID string, member bool) error {
	var n int
	if err := t.tx.QueryRowContext(ctx, t.s.q(`SELECT COUNT(*) FROM teams t JOIN users u ON u.org_id = t.org_id WHERE t.id = ? AND t.org_id = ? AND u.id = ?`), teamID, orgID, userID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	t.touch()
	q := `INSERT INTO team_members (team_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`
	if !member {
		q = `DELETE FROM team_members WHERE team_id = ? AND user_id = ?`
	}
	_, err := t.tx.ExecContext(ctx, t.s.q(q), teamID, userID)
	return mapErr(err)
}

// SetIntegrationTeams restricts an integration, in a transaction of its
// own.
func (s *Store) SetIntegrationTeams(ctx context.Context, orgID, integrationID string, teamIDs []string) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.SetIntegrationTeams(ctx, orgID, integrationID, teamIDs) })
}

// SetIntegrationTeams restricts an integration to the given teams of its
// organization (none: the whole organization). A team of another
// organization is ErrNotFound.
func (t *Tx) SetIntegrationTeams(ctx context.Context, orgID, integrationID string, teamIDs []string) error {
	t.touch()
	if _, err := t.tx.ExecContext(ctx, t.s.q(`DELETE FROM integration_teams WHERE integration_id = ?`), integrationID); err != nil {
		return err
	}
	for _, team := range teamIDs {
		res, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO integration_teams (integration_id, team_id)
			SELECT ?, id FROM teams WHERE id = ? AND org_id = ?`), integrationID, team, orgID)
		if err := affected(res, err); err != nil {
			return fmt.Errorf("team %q: %w", team, err)
		}
	}
	return nil
}

// IntegrationTeams lists the teams an integration is restricted to.
func (s *Store) IntegrationTeams(ctx context.Context, integrationID string) ([]string, error) {
	gen, memoized := s.memoGen()
	if memoized {
		if ts, ok := s.memos.teams.get(integrationID, gen); ok {
			return ts, nil
		}
	}
	ts, err := queryAll(ctx, s.r, s.q(`SELECT team_id FROM integration_teams WHERE integration_id = ? ORDER BY team_id`), func(row rowScanner) (string, error) {
		var t string
		return t, row.Scan(&t)
	}, integrationID)
	if err == nil && memoized {
		s.memos.teams.put(integrationID, gen, ts)
	}
	return ts, err
}

// InAnyTeam reports whether a user belongs to one of the teams.
func (s *Store) InAnyTeam(ctx context.Context, userID string, teamIDs []string) (bool, error) {
	if len(teamIDs) == 0 {
		return false, nil
	}
	args := []any{userID}
	for _, t := range teamIDs {
		args = append(args, t)
	}
	var n int
	err := s.readRow(ctx, `SELECT COUNT(*) FROM team_members WHERE user_id = ? AND team_id IN (`+placeholders(len(teamIDs))+`)`, args...).Scan(&n)
	return n > 0, err
}

// HiddenIntegrations lists the integrations of an organization that are
// restricted to teams userID belongs to none of.
func (s *Store) HiddenIntegrations(ctx context.Context, orgID, userID string) ([]string, error) {
	return queryAll(ctx, s.r, s.q(`SELECT DISTINCT it.integration_id FROM integration_teams it JOIN integrations i ON i.id = it.integration_id
		WHERE i.org_id = ? AND it.integration_id NOT IN (
			SELECT mine.integration_id FROM integration_teams mine JOIN team_members m ON m.team_id = mine.team_id WHERE m.user_id = ?)
		ORDER BY it.integration_id`), func(row rowScanner) (string, error) {
		var id string
		return id, row.Scan(&id)
	}, orgID, userID)
}
