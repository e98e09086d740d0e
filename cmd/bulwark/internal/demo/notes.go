// This file holds the notes the demo's users save: the "changing data"
// that the CSRF attacks try to forge.

package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxNoteLength bounds a note's body in characters.
const MaxNoteLength = 2000

// The notes' validation errors.
var (
	errEmptyNote = errors.New("demo: the note is empty")
	errLongNote  = fmt.Errorf("demo: the note is longer than %d characters", MaxNoteLength)
	errBadNote   = errors.New("demo: the note is not valid UTF-8")
	errBadCursor = errors.New("demo: the page cursor is not a note ID")
)

// Note is one saved note.
type Note struct {
	// ID numbers notes across all users.
	ID int64 `json:"id"`
	// Body is the note's text, trimmed, at most MaxNoteLength characters.
	Body string `json:"body"`
	// CreatedAt is when the note was saved (UTC, millisecond precision).
	CreatedAt time.Time `json:"created_at"`
}

// notes keeps notes in the demo's SQLite database. Safe for concurrent use.
type notes struct{ db *sql.DB }

func newNotes(ctx context.Context, db *sql.DB) (*notes, error) {
	_, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS demo_notes (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		user_id TEXT NOT NULL,
		body TEXT NOT NULL,
		created_at INTEGER NOT NULL
	)`)
	if err != nil {
		return nil, fmt.Errorf("demo: create notes table: %w", err)
	}
	if _, err := db.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS demo_notes_user ON demo_notes (user_id, id)`); err != nil {
		return nil, fmt.Errorf("demo: create notes index: %w", err)
	}
	return &notes{db: db}, nil
}

// checkNote validates a note body and returns it trimmed.
func checkNote(body string) (string, error) {
	if !utf8.ValidString(body) {
		return "", errBadNote
	}
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return "", errEmptyNote
	case utf8.RuneCountInString(body) > MaxNoteLength:
		return "", errLongNote
	}
	return body, nil
}

func (n *notes) add(ctx context.Context, userID, body string) (Note, error) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	res, err := n.db.ExecContext(ctx,
		`INSERT INTO demo_notes (user_id, body, created_at) VALUES (?, ?, ?)`,
		userID, body, now.UnixMilli())
	if err != nil {
		return Note{}, fmt.Errorf("demo: save note: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Note{}, fmt.Errorf("demo: save note: %w", err)
	}
	return Note{ID: id, Body: body, CreatedAt: now}, nil
}

// NotesPerPage is how many notes one page of the notes list holds, and
// GET /api/notes returns when no limit is asked for.
const NotesPerPage = 50

// MaxNotesPerRequest bounds the limit GET /api/notes accepts.
const MaxNotesPerRequest = 100

// notePage is one page of a user's notes, newest first.
type notePage struct {
	Notes []Note
	// Older is the cursor of the next page (the ID its notes are older
	// than), or 0 on the last page.
	Older int64
}

// page returns up to limit of the user's notes with an ID below before
// (0: from the newest), newest first. Paging by ID, not by offset, means a
// note saved meanwhile neither repeats nor hides one on the next page.
func (n *notes) page(ctx context.Context, userID string, before int64, limit int) (notePage, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, err := n.db.QueryContext(ctx,
		`SELECT id, body, created_at FROM demo_notes WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
		userID, before, limit+1)
	if err != nil {
		return notePage{}, fmt.Errorf("demo: list notes: %w", err)
	}
	defer rows.Close()
	out := []Note{}
	for rows.Next() {
		var nt Note
		var ms int64
		if err := rows.Scan(&nt.ID, &nt.Body, &ms); err != nil {
			return notePage{}, fmt.Errorf("demo: list notes: %w", err)
		}
		nt.CreatedAt = time.UnixMilli(ms).UTC()
		out = append(out, nt)
	}
	if err := rows.Err(); err != nil {
		return notePage{}, fmt.Errorf("demo: list notes: %w", err)
	}
	if len(out) <= limit {
		return notePage{Notes: out}, nil
	}
	out = out[:limit]
	return notePage{Notes: out, Older: out[limit-1].ID}, nil
}

// all returns every note of the user, newest first.
func (n *notes) all(ctx context.Context, userID string) ([]Note, error) {
	var out []Note
	for before := int64(0); ; {
		p, err := n.page(ctx, userID, before, MaxNotesPerRequest)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Notes...)
		if p.Older == 0 {
			return out, nil
		}
		before = p.Older
	}
}

// parseCursor reads a page cursor ("before" in the query): empty for the
// first page, else a positive note ID.
func parseCursor(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, errBadCursor
	}
	return id, nil
}
