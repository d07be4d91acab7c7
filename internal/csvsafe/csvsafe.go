// Package csvsafe writes CSV that a spreadsheet opens as data: a cell that
// would start a formula (= + - @, or a tab or carriage return, which some
// spreadsheets skip before looking for one) is prefixed with an apostrophe,
// so text from a public form can never run as a formula in staff's hands
// (CSV injection). Every CSV the staff tool writes goes through it.
package csvsafe

import (
	"encoding/csv"
	"io"
	"os"
	"strings"
)

// Writer is an encoding/csv Writer that neutralises every cell.
type Writer struct {
	w *csv.Writer
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w)} }

// Write writes one record, each cell through Cell.
func (w *Writer) Write(record []string) error {
	safe := make([]string, len(record))
	for i, c := range record {
		safe[i] = Cell(c)
	}
	return w.w.Write(safe)
}

// Flush writes buffered records out.
func (w *Writer) Flush() { w.w.Flush() }

// Error reports any error of a Write or Flush so far.
func (w *Writer) Error() error { return w.w.Error() }

// Cell returns s as a cell no spreadsheet evaluates: s itself, or s after an
// apostrophe when it starts with a formula character.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Create makes a new CSV file only its owner can read; it refuses to
// overwrite one, so an export never lands in a file others could read.
func Create(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
}
