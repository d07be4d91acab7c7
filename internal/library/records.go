package library

import (
	"time"

	"rekisteri/internal/fieldcrypt"
)

// Patron is a library customer as stored (kind patron, table patrons,
// pk PatronPK(customer number), sk SKPatron). The identity code is sealed
// (HetuContext(SealID)); the PIN is only an argon2id hash (pin.go).
type Patron struct {
	PK             string             `dynamodbav:"pk"`
	SK             string             `dynamodbav:"sk"`
	Kind           string             `dynamodbav:"kind"`
	SubjectKey     string             `dynamodbav:"subjectKey"` // subject.HetuKey
	CustomerNumber string             `dynamodbav:"customerNumber"`
	FirstName      string             `dynamodbav:"firstName"`
	LastName       string             `dynamodbav:"lastName"`
	IdentityCode   *fieldcrypt.Sealed `dynamodbav:"identityCode,omitempty"`
	SealID         string             `dynamodbav:"sealId"`
	PIN            string             `dynamodbav:"pin,omitempty"` // argon2id, PHC string format
	Street         string             `dynamodbav:"street"`
	Postcode       string             `dynamodbav:"postcode"`
	City           string             `dynamodbav:"city"`
	Phone          string             `dynamodbav:"phone,omitempty"`
	Email          string             `dynamodbav:"email,omitempty"`
	BirthDate      string             `dynamodbav:"birthDate"` // YYYY-MM-DD, from the identity code
	CustomerGroup  string             `dynamodbav:"customerGroup"`
	Gender         string             `dynamodbav:"gender,omitempty"` // for statistics, where declared
	Lang           string             `dynamodbav:"lang"`
	Delivery       string             `dynamodbav:"delivery"` // email, letter, sms
	HomeLibrary    string             `dynamodbav:"homeLibrary,omitempty"`
	Status         string             `dynamodbav:"status"` // StateActive or StateUnresolved
	Notes          string             `dynamodbav:"notes,omitempty"`
	Reference      string             `dynamodbav:"reference,omitempty"` // the pre-registration it was collected from
	CreatedAt      string             `dynamodbav:"createdAt"`
	LastUsedAt     string             `dynamodbav:"lastUsedAt"` // drives patron-inactive (3 years)
	OpenLoans      int                `dynamodbav:"openLoans"`
	UnpaidFees     int                `dynamodbav:"unpaidFees"`
	OpenTransfers  int                `dynamodbav:"openTransfers"`
	FailedLogins   int                `dynamodbav:"failedLogins,omitempty"`
	LockedUntil    string             `dynamodbav:"lockedUntil,omitempty"`
}

// State is the retention state of a patron: unresolved while anything is
// open (a loan, an unpaid fee, a transfer), otherwise active, counted from
// the last use. Every write of a patron stamps the rule of this state.
func (p *Patron) State() string {
	if p.OpenLoans > 0 || p.UnpaidFees > 0 || p.OpenTransfers > 0 {
		return StateUnresolved
	}
	return StateActive
}

// Age is the patron's age in whole years on day (Finnish calendar).
func Age(birthDate string, day time.Time) int {
	b, err := time.Parse(time.DateOnly, birthDate)
	if err != nil {
		return -1
	}
	y := day.Year() - b.Year()
	if day.Month() < b.Month() || (day.Month() == b.Month() && day.Day() < b.Day()) {
		y--
	}
	return y
}

// Preregistration is an online pre-registration waiting to be collected
// (kind preregistration, pk PreregPK(reference), sk SKPrereg); deleted 3
// months after registeredAt if nobody collects the card.
type Preregistration struct {
	PK                   string             `dynamodbav:"pk"`
	SK                   string             `dynamodbav:"sk"`
	Kind                 string             `dynamodbav:"kind"`
	SubjectKey           string             `dynamodbav:"subjectKey"`
	Reference            string             `dynamodbav:"reference"`
	FirstName            string             `dynamodbav:"firstName"`
	LastName             string             `dynamodbav:"lastName"`
	IdentityCode         *fieldcrypt.Sealed `dynamodbav:"identityCode,omitempty"`
	SealID               string             `dynamodbav:"sealId"`
	Street               string             `dynamodbav:"street"`
	Postcode             string             `dynamodbav:"postcode"`
	City                 string             `dynamodbav:"city"`
	Phone                string             `dynamodbav:"phone,omitempty"`
	Email                string             `dynamodbav:"email,omitempty"`
	BirthDate            string             `dynamodbav:"birthDate"`
	CustomerGroup        string             `dynamodbav:"customerGroup"`
	Lang                 string             `dynamodbav:"lang"`
	Delivery             string             `dynamodbav:"delivery"`
	HomeLibrary          string             `dynamodbav:"homeLibrary,omitempty"`
	GuardianFirstName    string             `dynamodbav:"guardianFirstName,omitempty"`
	GuardianLastName     string             `dynamodbav:"guardianLastName,omitempty"`
	GuardianIdentityCode *fieldcrypt.Sealed `dynamodbav:"guardianIdentityCode,omitempty"`
	GuardianSealID       string             `dynamodbav:"guardianSealId,omitempty"`
	GuardianEmail        string             `dynamodbav:"guardianEmail,omitempty"`
	GuardianSubjectKey   string             `dynamodbav:"guardianSubjectKey,omitempty"`
	Status               string             `dynamodbav:"status"` // pending
	RegisteredAt         string             `dynamodbav:"registeredAt"`
}

// HetuContext is where a patron's (or pre-registration's) identity code is
// sealed: bound to the person's seal id, which moves with them from the
// pre-registration to the patron record, so collection copies the sealed
// value without ever opening it.
func HetuContext(sealID string) fieldcrypt.Context {
	return fieldcrypt.Context{"table": TablePatrons, "record": sealID, "attribute": "hetu"}
}
