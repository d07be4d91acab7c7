package contacts

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxImport is the most an import file may hold.
const maxImport = 4 << 20

// readCSV reads RFC 4180 CSV: fields separated by commas, a field in
// double quotes may hold commas, line breaks and doubled quotes; lines end
// in LF or CRLF. (encoding/csv is for internal/csvsafe alone, which
// writes; this only reads, and stores every cell as text.)
func readCSV(r io.Reader) ([][]string, error) {
	b, err := io.ReadAll(io.LimitReader(bufio.NewReader(r), maxImport+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxImport {
		return nil, fmt.Errorf("import: the file is over %d MiB", maxImport>>20)
	}
	s := strings.TrimPrefix(string(b), "\ufeff")
	var rows [][]string
	var row []string
	var field strings.Builder
	line := 1
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' && field.Len() == 0:
			start := line
			i++
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("import: line %d: a quoted field is not closed", start)
				}
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						field.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				if s[i] == '\n' {
					line++
				}
				field.WriteByte(s[i])
				i++
			}
			if i < len(s) && s[i] != ',' && s[i] != '\n' && s[i] != '\r' {
				return nil, fmt.Errorf("import: line %d: text after a closing quote", line)
			}
		case c == ',':
			row = append(row, field.String())
			field.Reset()
			i++
		case c == '\r' && i+1 < len(s) && s[i+1] == '\n', c == '\n':
			row = append(row, field.String())
			field.Reset()
			rows = append(rows, row)
			row = nil
			line++
			if c == '\r' {
				i++
			}
			i++
		default:
			field.WriteByte(c)
			i++
		}
	}
	if field.Len() > 0 || row != nil {
		rows = append(rows, append(row, field.String()))
	}
	if len(rows) == 0 {
		return nil, errors.New("import: the file is empty")
	}
	return rows, nil
}
