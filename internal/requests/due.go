package requests

import (
	"time"

	"rekisteri/internal/helsinki"
	"rekisteri/internal/requests/request"
)

// The GDPR clock (Art. 12(3)): a request is answered within one month of
// its receipt, which for a request made online is when the person verified
// it (the address is then known to be theirs); "for good reason" the time
// may be extended by two further months, and the person is told why within
// the first month.
//
// A month is a calendar month, counted as Regulation (EEC, Euratom) 1182/71
// counts one: it ends on the same day of the month after, or on that month's
// last day when the day does not exist (31 January → 28 or 29 February).
// Dates are Finnish calendar dates. The due date is never moved for a
// weekend or a public holiday: 1182/71 would allow the next working day,
// but the earlier date keeps the clock from ever being late.
const extendedTerm = 3 // months from receipt: the first month and two more

// Date is a calendar date (midnight UTC of that date).
type Date = time.Time

// AddMonths is d plus n calendar months, clamped to the last day of the
// month where the day does not exist.
func AddMonths(d Date, n int) Date { return request.AddMonths(d, n) }

// DueOn is the day a request received (verified) at t must be answered by.
func DueOn(t time.Time) Date { return request.DueOn(t) }

// ExtendedTo is the day an extended request must be answered by: three
// months from receipt, counted from the receipt itself so that a short
// month does not shorten the extension (31 Jan → 30 Apr, not 28 Apr).
func ExtendedTo(t time.Time) Date { return AddMonths(helsinki.Today(t), extendedTerm) }

// DaysLeft is the number of days from today (at now) to due; negative when
// overdue, 0 on the due day itself.
func DaysLeft(due Date, now time.Time) int {
	return int(due.Sub(helsinki.Today(now)).Hours() / 24)
}

// dateFormat is how dates are stored and shown: YYYY-MM-DD.
const dateFormat = request.DateFormat

func parseDate(s string) (Date, error) { return time.Parse(dateFormat, s) }
