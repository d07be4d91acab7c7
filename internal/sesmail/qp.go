package sesmail

import "bytes"

// qpLineMax is mime/quotedprintable's line length, soft break included.
const qpLineMax = 76

// writeQP writes s quoted-printable onto b exactly as a
// mime/quotedprintable.Writer (not Binary) writes s and is closed, without
// its copy of s into bytes and its writes through an interface per line:
// line breaks in s (CRLF, CR or LF) become CRLF, a space or tab before one
// (or at the end) is encoded, '=' and bytes outside '!'..'~' are encoded,
// and lines are broken softly at 76. TestWriteQPMatchesQuotedprintable and
// its fuzz test hold it to the library.
func writeQP(b *bytes.Buffer, s string) {
	var line [78]byte
	i, cr := 0, false
	flush := func() {
		b.Write(line[:i])
		i = 0
	}
	crlf := func() {
		line[i], line[i+1] = '\r', '\n'
		i += 2
		flush()
	}
	soft := func() {
		line[i] = '='
		i++
		crlf()
	}
	encode := func(c byte) {
		if qpLineMax-1-i < 3 {
			soft()
		}
		const upperhex = "0123456789ABCDEF"
		line[i], line[i+1], line[i+2] = '=', upperhex[c>>4], upperhex[c&0x0f]
		i += 3
	}
	lastByte := func() {
		if i > 0 && (line[i-1] == ' ' || line[i-1] == '\t') {
			i--
			encode(line[i])
		}
	}
	for k := 0; k < len(s); k++ {
		c := s[k]
		switch {
		case c == '\n' || c == '\r':
			if cr && c == '\n' {
				cr = false
				continue
			}
			cr = c == '\r'
			lastByte()
			crlf()
		case c >= '!' && c <= '~' && c != '=' || c == ' ' || c == '\t':
			if i == qpLineMax-1 {
				soft()
			}
			line[i] = c
			i++
			cr = false
		default:
			encode(c)
		}
	}
	lastByte()
	flush()
}
