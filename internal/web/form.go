// Package web is the HTTP plumbing every public endpoint shares: decoding
// HTML forms and JSON alike, choosing JSON or a page in the visitor's
// language, and the one place where errors become status codes.
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Form is a request's fields, whether they came as an HTML form or JSON.
// JSON objects are flattened to "parent.child" names, arrays to repeated values.
type Form struct{ values url.Values }

// NewForm wraps values (tests and queue handlers).
func NewForm(v url.Values) Form { return Form{values: v} }

// Get returns the first value of name, trimmed.
func (f Form) Get(name string) string { return strings.TrimSpace(f.values.Get(name)) }

// Has reports whether name was sent at all.
func (f Form) Has(name string) bool { _, ok := f.values[name]; return ok }

// All returns every non-empty value of name; comma-separated values are split,
// so `lists=newsletter,openings` and repeated fields mean the same.
func (f Form) All(name string) []string {
	var out []string
	for _, v := range f.values[name] {
		for part := range strings.SplitSeq(v, ",") {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// Bool reads a checkbox or JSON boolean. ok is false when the value is
// present but not a recognisable truth value.
func (f Form) Bool(name string) (value, ok bool) {
	switch strings.ToLower(f.Get(name)) {
	case "true", "on", "1", "yes":
		return true, true
	case "", "false", "off", "0", "no":
		return false, true
	}
	return false, false
}

// QueryFields are the only fields a POST may carry in its URL: the link's
// token and the page language. Everything else comes from the body, so an
// identity code or an address never travels in a URL (where proxies, logs
// and browser histories keep it).
var QueryFields = []string{"token", "lang"}

// Decode reads the request's fields. A GET (or HEAD) has the query string; any
// other method has an application/x-www-form-urlencoded or application/json
// body of at most limit bytes, plus only the QueryFields of the query where
// the body lacks them. It answers 413 past the limit, 415 for other media
// types and 400 for malformed JSON, through the errors it returns.
func Decode(w http.ResponseWriter, r *http.Request, limit int64) (Form, error) {
	query := r.URL.Query()
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return Form{values: query}, nil
	}
	values := url.Values{}
	for _, k := range QueryFields {
		if v, ok := query[k]; ok {
			values[k] = v
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return Form{}, ErrTooLarge
		}
		return Form{}, BadRequest("the request body could not be read")
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" && len(body) == 0 {
		return Form{values: values}, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return Form{}, ErrUnsupportedMedia
	}
	var fromBody url.Values
	switch mt {
	case "application/x-www-form-urlencoded":
		fromBody, err = url.ParseQuery(string(body))
		if err != nil {
			return Form{}, BadRequest("the form body is malformed")
		}
	case "application/json":
		fromBody, err = flattenJSON(body)
		if err != nil {
			return Form{}, BadRequest("the JSON body is malformed: " + err.Error())
		}
	default:
		return Form{}, ErrUnsupportedMedia
	}
	for k, v := range fromBody {
		values[k] = v
	}
	return Form{values: values}, nil
}

func flattenJSON(body []byte) (url.Values, error) {
	var top map[string]any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return nil, errors.New("expected one JSON object")
	}
	if dec.More() {
		return nil, errors.New("expected one JSON object")
	}
	out := url.Values{}
	var walk func(prefix string, v any) error
	walk = func(prefix string, v any) error {
		switch x := v.(type) {
		case nil:
		case string:
			out.Add(prefix, x)
		case bool:
			out.Add(prefix, strconv.FormatBool(x))
		case json.Number:
			out.Add(prefix, x.String())
		case []any:
			for _, e := range x {
				switch e.(type) {
				case map[string]any, []any:
					return fmt.Errorf("%s: nested arrays and objects in arrays are not accepted", prefix)
				}
				if err := walk(prefix, e); err != nil {
					return err
				}
			}
		case map[string]any:
			for k, e := range x {
				name := k
				if prefix != "" {
					name = prefix + "." + k
				}
				if err := walk(name, e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return out, walk("", top)
}

// Names returns the name of every field sent, sorted.
func (f Form) Names() []string {
	names := make([]string, 0, len(f.values))
	for k := range f.values {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
