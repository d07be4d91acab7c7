package awslambda

import (
	"encoding/json"
	"unicode/utf8"
)

// decodeEvent is the fast path of decoding an event: one pass over the
// bytes for the shapes Lambda sends this code (an HTTP API payload 2.0
// request, an SQS batch), where encoding/json first validates the whole
// event and then decodes it with reflection, about a seventh of a signup's
// CPU. It fills ev exactly as json.Unmarshal would, or reports false for
// anything it does not know (an unknown key, an authorizer, message
// attributes, a number that is not an integer, a \u escape), and the caller
// then uses json.Unmarshal, which also gives the errors.
//
// Every string without escapes is a substring of one copy of the event
// (one allocation where there was one per key and value); the strings keep
// that copy alive, which is the event's size, as long as any of them is.
func decodeEvent(raw []byte, ev *event) bool {
	d := decoder{b: raw, s: string(raw)}
	ok := d.object(func(key string) bool {
		r := &ev.APIGatewayV2HTTPRequest
		switch key {
		case "version":
			return d.str(&r.Version)
		case "routeKey":
			return d.str(&r.RouteKey)
		case "rawPath":
			return d.str(&r.RawPath)
		case "rawQueryString":
			return d.str(&r.RawQueryString)
		case "cookies":
			return d.strings(&r.Cookies)
		case "headers":
			return d.strMap(&r.Headers)
		case "queryStringParameters":
			return d.strMap(&r.QueryStringParameters)
		case "pathParameters":
			return d.strMap(&r.PathParameters)
		case "stageVariables":
			return d.strMap(&r.StageVariables)
		case "body":
			return d.str(&r.Body)
		case "isBase64Encoded":
			return d.boolean(&r.IsBase64Encoded)
		case "requestContext":
			return d.requestContext(&r.RequestContext)
		case "Records":
			return d.records(&ev.Records)
		}
		return false
	})
	d.ws()
	return ok && d.i == len(d.b)
}

type decoder struct {
	b []byte
	s string // b as a string, for the strings decoded
	i int
}

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *decoder) lit(s string) bool {
	if len(d.b)-d.i >= len(s) && string(d.b[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

// null consumes a null, which json.Unmarshal takes as "leave as is".
func (d *decoder) null() bool { return d.peek() == 'n' && d.lit("null") }

// object calls field for each key, with the decoder at its value.
func (d *decoder) object(field func(key string) bool) bool {
	if d.peek() != '{' {
		return false
	}
	d.i++
	if d.peek() == '}' {
		d.i++
		return true
	}
	for {
		var key string
		if d.peek() != '"' || !d.str(&key) || d.peek() != ':' {
			return false
		}
		d.i++
		if !field(key) {
			return false
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return true
		default:
			return false
		}
	}
}

func (d *decoder) array(elem func() bool) bool {
	if d.peek() != '[' {
		return false
	}
	d.i++
	if d.peek() == ']' {
		d.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			return true
		default:
			return false
		}
	}
}

// str decodes a string; a null leaves *s as it is.
func (d *decoder) str(s *string) bool {
	if d.null() {
		return true
	}
	if d.peek() != '"' {
		return false
	}
	d.i++
	start, ascii := d.i, true
	for ; d.i < len(d.b); d.i++ {
		c := d.b[d.i]
		switch {
		case c == '"':
			raw := d.s[start:d.i]
			d.i++
			if !ascii && !utf8.ValidString(raw) {
				return false // json.Unmarshal replaces invalid bytes; leave that to it
			}
			*s = raw
			return true
		case c == '\\':
			return d.escaped(start, s)
		case c < 0x20:
			return false
		case c >= 0x80:
			ascii = false
		}
	}
	return false
}

// escaped finishes a string that holds escapes, from its first byte at start.
func (d *decoder) escaped(start int, s *string) bool {
	out := make([]byte, 0, d.i-start+64)
	out = append(out, d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(out) {
				return false
			}
			*s = string(out)
			return true
		case c == '\\':
			if d.i+1 >= len(d.b) {
				return false
			}
			e := d.b[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			default:
				return false // \u, with its surrogate rules, is json.Unmarshal's
			}
		case c < 0x20:
			return false
		default:
			out = append(out, c)
			d.i++
		}
	}
	return false
}

func (d *decoder) boolean(b *bool) bool {
	switch {
	case d.null():
		return true
	case d.lit("true"):
		*b = true
		return true
	case d.lit("false"):
		*b = false
		return true
	}
	return false
}

func (d *decoder) int64(n *int64) bool {
	if d.null() {
		return true
	}
	start, neg := d.i, false
	if d.i < len(d.b) && d.b[d.i] == '-' {
		neg = true
		d.i++
	}
	var v int64
	digits := 0
	for ; d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9'; d.i++ {
		if digits >= 18 {
			return false
		}
		v = v*10 + int64(d.b[d.i]-'0')
		digits++
	}
	if digits == 0 || (digits > 1 && d.b[start+btoi(neg)] == '0') {
		return false
	}
	if d.i < len(d.b) {
		switch d.b[d.i] {
		case '.', 'e', 'E':
			return false
		}
	}
	if neg {
		v = -v
	}
	*n = v
	return true
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (d *decoder) strings(s *[]string) bool {
	if d.null() {
		*s = nil
		return true
	}
	out := []string{}
	ok := d.array(func() bool {
		var v string
		if !d.str(&v) {
			return false
		}
		out = append(out, v)
		return true
	})
	*s = out
	return ok
}

// strMap decodes into *m as json.Unmarshal does: a null sets nil, an object
// adds to the map (made if nil).
func (d *decoder) strMap(m *map[string]string) bool {
	if d.null() {
		*m = nil
		return true
	}
	if *m == nil {
		*m = map[string]string{}
	}
	return d.object(func(key string) bool {
		var v string
		if !d.str(&v) {
			return false
		}
		(*m)[key] = v
		return true
	})
}

// unmarshalEvent decodes an event, by the fast path when it can.
func unmarshalEvent(raw []byte, ev *event) error {
	if decodeEvent(raw, ev) {
		return nil
	}
	*ev = event{}
	return json.Unmarshal(raw, ev)
}
