package requests

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"rekisteri/internal/dynamo"
)

// A rectification (Art. 16) is a case for staff: they check what the person
// asked for, store the correction on the request (the staff tool's
// `requests rectify ID -set attr=value`), and the requests function applies
// it across every record of the subject (OpRectify). The correction is kept
// on the request as the attribute "correction", a map from attribute name to
// its corrected value.

// CorrectableAttributes are the attributes a correction may set. The e-mail
// address is not one of them: it is what the subject key is made of, and a
// new address must be confirmed by its owner (a new subscription).
var CorrectableAttributes = []string{"name", "firstName", "lastName", "phone", "street", "postcode", "city", "organisation"}

// maxCorrectionValue bounds one corrected value (characters).
const maxCorrectionValue = 200

// Errors of a correction.
var (
	ErrNotRectification = errors.New("requests: only a rectification request takes a correction")
	ErrAddressChange    = errors.New("requests: an e-mail address cannot be corrected here: a new address needs a new subscription, confirmed from that address")
)

// ValidCorrection refuses an empty correction, an attribute that is not
// correctable, and an empty, over-long or control-character value.
func ValidCorrection(fields map[string]string) error {
	if len(fields) == 0 {
		return errors.New("requests: a correction sets at least one attribute")
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := fields[k]
		switch {
		case strings.EqualFold(k, "email"):
			return ErrAddressChange
		case !slices.Contains(CorrectableAttributes, k):
			return fmt.Errorf("requests: %q cannot be corrected; correctable are %s", k, strings.Join(CorrectableAttributes, ", "))
		case strings.TrimSpace(v) == "":
			return fmt.Errorf("requests: the corrected %s is empty", k)
		case utf8.RuneCountInString(v) > maxCorrectionValue:
			return fmt.Errorf("requests: the corrected %s is longer than %d characters", k, maxCorrectionValue)
		case strings.IndexFunc(v, unicode.IsControl) >= 0 || !utf8.ValidString(v):
			return fmt.Errorf("requests: the corrected %s has control characters", k)
		}
	}
	return nil
}

// SetCorrection stores fields as the correction of rectification request
// id, replacing any earlier one; the request must be open.
func (s *Store) SetCorrection(ctx context.Context, id string, fields map[string]string) error {
	if err := ValidCorrection(fields); err != nil {
		return err
	}
	if !ValidID(id) {
		return ErrNotFound
	}
	c, err := attributevalue.Marshal(fields)
	if err != nil {
		return fmt.Errorf("request correction: %w", err)
	}
	_, err = s.update(ctx, id, "SET correction = :c", "#status = :open AND #type = :rect",
		map[string]string{"#status": "status", "#type": "type"},
		map[string]types.AttributeValue{":c": c, ":open": sv(Open), ":rect": sv(Rectification)})
	if dynamo.ConditionFailed(err) {
		r, err := s.Get(ctx, id)
		switch {
		case err != nil:
			return err
		case r.Type != Rectification:
			return ErrNotRectification
		default:
			return ErrNotOpen
		}
	}
	if err != nil {
		return fmt.Errorf("request correction: %w", err)
	}
	return nil
}
