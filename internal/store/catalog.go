package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/id"
)

// Submission states.
const (
	SubmissionPending          = "pending_review"
	SubmissionChangesRequested = "changes_requested"
	SubmissionApproved         = "approved"
	SubmissionRejected         = "rejected"
)

// Submission is an integration version offered to the public catalog.
type Submission struct {
	ID            string          `json:"id"`
	OrgID         string          `json:"org_id"`
	IntegrationID string          `json:"integration_id"`
	Version       int             `json:"version"`
	Slug          string          `json:"slug"`
	Name          string          `json:"name"`
	Definition    json.RawMessage `json:"definition"`
	Status        string          `json:"status"`
	Findings      json.RawMessage `json:"findings"`
	SubmittedBy   string          `json:"submitted_by"`
	SubmittedAt   time.Time       `json:"submitted_at"`
	ReviewedBy    string          `json:"reviewed_by,omitempty"`
	ReviewedAt    time.Time       `json:"reviewed_at,omitzero"`
	ReviewNote    string          `json:"review_note,omitempty"`
}

// CatalogEntry is a published integration any organization can install.
type CatalogEntry struct {
	Slug          string          `json:"slug"`
	SubmissionID  string          `json:"submission_id"`
	PublisherOrg  string          `json:"publisher_org_id"`
	PublisherName string          `json:"publisher_name"`
	Name          string          `json:"name"`
	Description   string          `json:"description,omitempty"`
	Definition    json.RawMessage `json:"definition,omitempty"`
	Docs          string          `json:"docs,omitempty"`
	Version       int             `json:"version"`
	Installs      int             `json:"installs"`
	PublishedAt   time.Time       `json:"published_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
}

const submissionCols = `id, org_id, integration_id, version, slug, name, definition, status, findings, submitted_by, submitted_at, reviewed_by, reviewed_at, review_note`

func scanSubmission(row interface{ Scan(...any) error }) (Submission, error) {
	var s Submission
	var def, findings string
	var sub int64
	var rev sql.NullInt64
	if err := row.Scan(&s.ID, &s.OrgID, &s.IntegrationID, &s.Version, &s.Slug, &s.Name, &def, &s.Status, &findings, &s.SubmittedBy, &sub, &s.ReviewedBy, &rev, &s.ReviewNote); err != nil {
		return Submission{}, mapErr(err)
	}
	s.Definition, s.Findings, s.SubmittedAt, s.ReviewedAt = json.RawMessage(def), json.RawMessage(findings), ms(sub), nullMS(rev)
	return s, nil
}

// CreateSubmission records a submission with its audit findings.
func (t *Tx) CreateSubmission(ctx context.Context, sub Submission) (Submission, error) {
	sub.ID = id.New("sub")
	sub.SubmittedAt = time.Now().UTC()
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO catalog_submissions (`+submissionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', NULL, '')`),
		sub.ID, sub.OrgID, sub.IntegrationID, sub.Version, sub.Slug, sub.Name, string(sub.Definition), sub.Status, string(sub.Findings), sub.SubmittedBy, sub.SubmittedAt.UnixMilli())
	if err != nil {
		return Submission{}, fmt.Errorf("create submission: %w", mapErr(err))
	}
	return sub, nil
}

// GetSubmission loads a submission; orgID "" means any organization (for
// platform reviewers).
func (s *Store) GetSubmission(ctx context.Context, orgID, subID string) (Submission, error) {
	return scanSubmission(s.readRow(ctx, `SELECT `+submissionCols+` FROM catalog_submissions WHERE id = ? AND (org_id = ? OR ? = '')`, subID, orgID, orgID))
}

// ListSubmissions lists submissions by status (all when empty) for
// reviewers, or one integration's when integrationID is set.
func (s *Store) ListSubmissions(ctx context.Context, orgID, integrationID, status string) ([]Submission, error) {
	return queryAll(ctx, s.r, s.q(`SELECT `+submissionCols+` FROM catalog_submissions
		WHERE (org_id = ? OR ? = '') AND (integration_id = ? OR ? = '') AND (status = ? OR ? = '') ORDER BY submitted_at DESC LIMIT 200`),
		scanSubmission, orgID, orgID, integrationID, integrationID, status, status)
}

// ReviewSubmission records a reviewer's decision on a pending submission;
// approving publishes entry in the same transaction. A submission no longer
// pending is ErrNotFound.
func (t *Tx) ReviewSubmission(ctx context.Context, subID, reviewer, status, note string, entry *CatalogEntry) (Submission, error) {
	at := now()
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE catalog_submissions SET status = ?, reviewed_by = ?, reviewed_at = ?, review_note = ? WHERE id = ? AND status = ?`),
		status, reviewer, at, note, subID, SubmissionPending)
	if err := affected(res, err); err != nil {
		return Submission{}, fmt.Errorf("submission %s is not waiting for review: %w", subID, err)
	}
	if entry != nil {
		_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO catalog_entries (slug, submission_id, publisher_org_id, publisher_name, name, description, definition, docs, version, installs, published_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
			ON CONFLICT (slug) DO UPDATE SET submission_id = excluded.submission_id, name = excluded.name, description = excluded.description,
				definition = excluded.definition, docs = excluded.docs, version = excluded.version, updated_at = excluded.updated_at
			WHERE catalog_entries.publisher_org_id = excluded.publisher_org_id`),
			entry.Slug, subID, entry.PublisherOrg, entry.PublisherName, entry.Name, entry.Description, string(entry.Definition), entry.Docs, entry.Version, at, at)
		if err != nil {
			return Submission{}, mapErr(err)
		}
	}
	return scanSubmission(t.tx.QueryRowContext(ctx, t.s.q(`SELECT `+submissionCols+` FROM catalog_submissions WHERE id = ?`), subID))
}

const entryCols = `slug, submission_id, publisher_org_id, publisher_name, name, description, definition, docs, version, installs, published_at, updated_at`

func scanEntry(row interface{ Scan(...any) error }) (CatalogEntry, error) {
	var e CatalogEntry
	var def string
	var p, u int64
	if err := row.Scan(&e.Slug, &e.SubmissionID, &e.PublisherOrg, &e.PublisherName, &e.Name, &e.Description, &def, &e.Docs, &e.Version, &e.Installs, &p, &u); err != nil {
		return CatalogEntry{}, mapErr(err)
	}
	e.Definition, e.PublishedAt, e.UpdatedAt = json.RawMessage(def), ms(p), ms(u)
	return e, nil
}

// ListCatalog lists published entries without their definitions and docs.
func (s *Store) ListCatalog(ctx context.Context) ([]CatalogEntry, error) {
	return queryAll(ctx, s.r, `SELECT `+entryCols+` FROM catalog_entries ORDER BY installs DESC, name`, func(row rowScanner) (CatalogEntry, error) {
		e, err := scanEntry(row)
		e.Definition, e.Docs = nil, ""
		return e, err
	})
}

// GetCatalogEntry loads one published entry.
func (s *Store) GetCatalogEntry(ctx context.Context, slug string) (CatalogEntry, error) {
	return scanEntry(s.readRow(ctx, `SELECT `+entryCols+` FROM catalog_entries WHERE slug = ?`, slug))
}

// CountInstall records one more installation of an entry.
func (t *Tx) CountInstall(ctx context.Context, slug string) error {
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE catalog_entries SET installs = installs + 1 WHERE slug = ?`), slug)
	return affected(res, err)
}
