// Package smallcell is the one rule by which the anonymised statistics (the
// survey's answers, the libraries' loans) hide small counts: below Min, a
// count and the other dimensions of its cell (postcode, age band, gender,
// library) together could single a person out.
package smallcell

import "strconv"

// Min is the smallest count a report shows.
const Min = 5

// Shown is count as a report prints it: "<5" below Min.
func Shown(count int) string {
	if count < Min {
		return "<" + strconv.Itoa(Min)
	}
	return strconv.Itoa(count)
}
