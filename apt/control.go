package apt

import (
	"bytes"
	"errors"
	"io"
)

// paragraphReader streams the paragraphs (stanzas) of a deb822 control
// file such as a Packages list or the dpkg status file. Each paragraph is
// returned as a slice of an internal buffer that stays valid until the
// next call, so that a whole list is read in constant memory.
type paragraphReader struct {
	r     io.Reader
	buf   []byte
	start int // first unread byte
	end   int // end of data in buf
	eof   bool
	cr    bool // a carriage return was seen: use the slow separator search
	line  int  // line number of buf[start]
	// noLines skips line counting, an extra pass over the data that
	// package lists do not need.
	noLines bool
}

func newParagraphReader(r io.Reader) *paragraphReader {
	return &paragraphReader{r: r, buf: make([]byte, 256<<10), line: 1}
}

// maxParagraph bounds one paragraph (the largest in Debian's lists are a
// few hundred KiB of Description or Provides).
const maxParagraph = 64 << 20

var errParagraphTooLong = errors.New("paragraph too long")

// next returns the next paragraph without its terminating blank line and
// the line number it starts on. It returns io.EOF after the last one.
func (p *paragraphReader) next() ([]byte, int, error) {
	for {
		// Skip blank lines between paragraphs.
		for p.start < p.end {
			c := p.buf[p.start]
			if c == '\n' {
				p.start++
				p.line++
				continue
			}
			if c == '\r' && p.start+1 < p.end && p.buf[p.start+1] == '\n' {
				p.start += 2
				p.line++
				continue
			}
			break
		}
		if p.start < p.end {
			data := p.buf[p.start:p.end]
			if i := p.paragraphEnd(data); i >= 0 {
				par := data[:i]
				line := p.line
				if !p.noLines {
					p.line += bytes.Count(par, []byte{'\n'}) + 1
				}
				p.start += i + 1
				return par, line, nil
			}
			if p.eof {
				par := trimRightNewlines(data)
				line := p.line
				p.line += bytes.Count(data, []byte{'\n'})
				p.start = p.end
				return par, line, nil
			}
		} else if p.eof {
			return nil, p.line, io.EOF
		}
		if err := p.fill(); err != nil {
			return nil, p.line, err
		}
	}
}

// paragraphEnd returns the index of the newline that ends the first
// paragraph in data (the second of "\n\n"), or -1.
func (p *paragraphReader) paragraphEnd(data []byte) int {
	if !p.cr {
		if i := bytes.Index(data, []byte("\n\n")); i >= 0 {
			return i + 1
		}
		return -1
	}
	off := 0
	for {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return -1
		}
		j := off + i + 1 // start of the next line
		k := j
		if k < len(data) && data[k] == '\r' {
			k++
		}
		if k < len(data) && data[k] == '\n' {
			return k
		}
		if k >= len(data) {
			return -1
		}
		off = j
	}
}

func trimRightNewlines(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// fill moves unread data to the front of the buffer and reads more,
// growing the buffer when one paragraph fills it.
func (p *paragraphReader) fill() error {
	if p.start > 0 {
		n := copy(p.buf, p.buf[p.start:p.end])
		p.start, p.end = 0, n
	}
	if p.end == len(p.buf) {
		if len(p.buf) >= maxParagraph {
			return errParagraphTooLong
		}
		nb := make([]byte, 2*len(p.buf))
		copy(nb, p.buf[:p.end])
		p.buf = nb
	}
	n, err := p.r.Read(p.buf[p.end:])
	if !p.cr && bytes.IndexByte(p.buf[p.end:p.end+n], '\r') >= 0 {
		p.cr = true
	}
	p.end += n
	if err == io.EOF {
		p.eof = true
		return nil
	}
	if err != nil {
		return err
	}
	return nil
}

// field returns the value of the field named key in a paragraph: the text
// after the colon with surrounding blanks removed, and continuation lines
// included as they are. Keys compare case-insensitively, as in APT.
func field(par []byte, key string) ([]byte, bool) {
	for len(par) > 0 {
		var line []byte
		nl := bytes.IndexByte(par, '\n')
		if nl < 0 {
			line, par = par, nil
		} else {
			line, par = par[:nl], par[nl+1:]
		}
		if len(line) <= len(key) || line[len(key)] != ':' || !equalFold(line[:len(key)], key) {
			continue
		}
		v := line[len(key)+1:]
		// Continuation lines start with a space or tab.
		for len(par) > 0 && (par[0] == ' ' || par[0] == '\t') {
			nl := bytes.IndexByte(par, '\n')
			if nl < 0 {
				nl = len(par)
			}
			v = v[:len(v)+1+nl] // extend over "\n" + the continuation line
			if nl < len(par) {
				par = par[nl+1:]
			} else {
				par = nil
			}
		}
		return trimBlank(v), true
	}
	return nil, false
}

// fieldString is field as a string ("" when absent).
func fieldString(par []byte, key string) string {
	v, _ := field(par, key)
	return string(v)
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func trimBlank(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r' || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	return b
}
