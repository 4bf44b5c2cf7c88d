package smart

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// DriveDBPaths are where smartmontools keeps its drive database, in the
// order smartctl reads them: the copy update-smart-drivedb refreshes, then
// the packaged one.
var DriveDBPaths = []string{"/var/lib/smartmontools/drivedb/drivedb.h", "/usr/share/smartmontools/drivedb.h"}

// ErrDriveDBSyntax is matched by errors for a drive database that is not
// a list of five-string entries.
var ErrDriveDBSyntax = errors.New("drive database syntax error")

// DriveEntry is one entry of smartctl's drive database (drivedb.h).
type DriveEntry struct {
	Family        string // model family, "DEFAULT", or "USB: ..." for bridges
	ModelRegex    string // POSIX extended regular expression, matched whole
	FirmwareRegex string // "" matches any firmware
	Warning       string
	Presets       string // smartctl options: "-v 9,minutes -F samsung ..."

	model, firmware *regexp.Regexp
}

// DriveDB is a parsed drive database.
type DriveDB struct {
	Entries []*DriveEntry
}

// ParseDriveDB parses drivedb.h: C string literals grouped in braces, five
// per entry, adjacent literals concatenated, comments skipped.
func ParseDriveDB(data []byte) (*DriveDB, error) {
	db := &DriveDB{}
	s := string(data)
	line := 1
	var fields []string // of the entry being read
	var cur *strings.Builder
	inEntry := false
	bad := func(msg string) error { return fmt.Errorf("drivedb.h:%d: %s: %w", line, msg, ErrDriveDBSyntax) }
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
			line++
		case c == '/' && i+1 < len(s) && s[i+1] == '/':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			i--
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return nil, bad("unterminated comment")
			}
			line += strings.Count(s[i:i+2+end], "\n")
			i += end + 3
		case c == '"':
			if !inEntry {
				return nil, bad("string outside an entry")
			}
			if cur == nil {
				cur = &strings.Builder{}
			}
			for i++; ; i++ {
				if i >= len(s) || s[i] == '\n' {
					return nil, bad("unterminated string")
				}
				if s[i] == '"' {
					break
				}
				if s[i] == '\\' && i+1 < len(s) {
					i++
					switch s[i] {
					case 'n':
						cur.WriteByte('\n')
					case 't':
						cur.WriteByte('\t')
					default:
						cur.WriteByte(s[i])
					}
					continue
				}
				cur.WriteByte(s[i])
			}
		case c == '{':
			if inEntry {
				return nil, bad("nested brace")
			}
			// An entry's brace is followed by its first string; any other
			// brace opens the array around the entries.
			if j := skipBlank(s, i+1); j < len(s) && s[j] == '"' {
				inEntry, fields, cur = true, nil, nil
			}
		case c == ',' && inEntry:
			if cur == nil {
				return nil, bad("empty field")
			}
			fields, cur = append(fields, cur.String()), nil
		case c == '}' && inEntry:
			if cur != nil {
				fields, cur = append(fields, cur.String()), nil
			}
			if len(fields) != 5 {
				return nil, bad(fmt.Sprintf("entry with %d fields, want 5", len(fields)))
			}
			db.Entries = append(db.Entries, &DriveEntry{Family: fields[0], ModelRegex: fields[1], FirmwareRegex: fields[2], Warning: fields[3], Presets: fields[4]})
			inEntry = false
		}
	}
	if inEntry {
		return nil, bad("unterminated entry")
	}
	return db, nil
}

// skipBlank returns the index of the first byte at or after i that is
// neither white space nor part of a comment.
func skipBlank(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r':
			i++
		case strings.HasPrefix(s[i:], "//"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return len(s)
			}
			i += end + 4
		default:
			return i
		}
	}
	return i
}

// Default returns the DEFAULT entry's presets (the built-in attribute
// names), "" when the database has none.
func (db *DriveDB) Default() string {
	for _, e := range db.Entries {
		if e.Family == "DEFAULT" {
			return e.Presets
		}
	}
	return ""
}

var posixClass = strings.NewReplacer("[[:space:]]", `\s`)

func compileWhole(re string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + posixClass.Replace(re) + `)$`)
}

// Lookup returns the first ATA drive entry whose model and firmware
// expressions match, as smartctl picks it, or nil.
func (db *DriveDB) Lookup(model, firmware string) *DriveEntry {
	for _, e := range db.Entries {
		if e.Family == "DEFAULT" || strings.HasPrefix(e.Family, "USB:") || strings.HasPrefix(e.Family, "$Id") ||
			strings.HasPrefix(e.Family, "VERSION") || e.ModelRegex == "-" {
			continue
		}
		if e.model == nil {
			m, err := compileWhole(e.ModelRegex)
			if err != nil {
				continue // an expression RE2 cannot take: skip the entry
			}
			e.model = m
			if e.FirmwareRegex != "" {
				if e.firmware, err = compileWhole(e.FirmwareRegex); err != nil {
					e.model = nil
					continue
				}
			}
		}
		if e.model.MatchString(model) && (e.firmware == nil || e.firmware.MatchString(firmware)) {
			return e
		}
	}
	return nil
}

// AttributeOptions returns the "-v" arguments of the entry's presets.
func (e *DriveEntry) AttributeOptions() []string {
	f := strings.Fields(e.Presets)
	var out []string
	for i := 0; i < len(f)-1; i++ {
		if f[i] == "-v" {
			out = append(out, f[i+1])
			i++
		}
	}
	return out
}

// driveDB loads the root's drive database once; nil when there is none.
type driveDBLoader struct {
	once sync.Once
	db   *DriveDB
	err  error
}

func (c *Client) driveDB() *DriveDB {
	c.db.once.Do(func() {
		for _, p := range DriveDBPaths {
			data, err := c.fs.ReadFile(p)
			if err != nil {
				continue
			}
			c.db.db, c.db.err = ParseDriveDB(data)
			if c.db.err == nil {
				return
			}
		}
	})
	return c.db.db
}

// defsFor returns the attribute definitions for a drive: the defaults,
// the drive database entry's presets, then Config.AttributeDefs, the
// order of precedence smartctl uses. It returns the matched entry too.
func (c *Client) defsFor(model, firmware string) (*AttrDefs, *DriveEntry) {
	defs := DefaultAttrDefs()
	var entry *DriveEntry
	if !c.noDriveDB {
		if db := c.driveDB(); db != nil {
			if entry = db.Lookup(model, firmware); entry != nil {
				for _, o := range entry.AttributeOptions() {
					defs.Apply(o) // an option smartctl knows but this reader does not is skipped
				}
			}
		}
	}
	for _, o := range c.userDefs {
		defs.Apply(o) // checked in New
	}
	return &defs, entry
}
