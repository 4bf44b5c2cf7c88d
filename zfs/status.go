package zfs

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// State is the health of a pool or vdev as zpool reports it.
type State string

// States of pools and vdevs; spares are AVAIL or INUSE.
const (
	StateOnline    State = "ONLINE"
	StateDegraded  State = "DEGRADED"
	StateFaulted   State = "FAULTED"
	StateOffline   State = "OFFLINE"
	StateUnavail   State = "UNAVAIL"
	StateRemoved   State = "REMOVED"
	StateSuspended State = "SUSPENDED"
	StateAvail     State = "AVAIL"
	StateInUse     State = "INUSE"
)

// Healthy reports whether the state needs no attention.
func (s State) Healthy() bool { return s == StateOnline || s == StateAvail || s == StateInUse }

// Vdev classes, for Vdev.Class.
const (
	ClassNormal  = ""
	ClassSpecial = "special"
	ClassDedup   = "dedup"
	ClassLog     = "logs"
	ClassCache   = "cache"
	ClassSpare   = "spares"
)

var classes = []string{ClassDedup, ClassSpecial, ClassLog, ClassCache, ClassSpare}

// Vdev is a node of a pool's device tree.
type Vdev struct {
	// Name as zpool status shows it: "mirror-0", "raidz2-1", "sda2",
	// "/dev/disk/by-id/ata-...-part3".
	Name string `json:"name"`
	// Type is "root", "mirror", "raidz1" to "raidz3", "draid1" to
	// "draid3", "spare", "replacing", "draid-spare", "indirect", "disk"
	// or "file".
	Type string `json:"type"`
	// Class is the allocation class of a top-level vdev and its
	// children: "" for normal, or one of the Class constants.
	Class    string `json:"class,omitempty"`
	State    State  `json:"state"`
	Read     uint64 `json:"read_errors"`
	Write    uint64 `json:"write_errors"`
	Checksum uint64 `json:"checksum_errors"`
	// Note is the text after the counters: "(resilvering)",
	// "was /dev/sdb2", "too many errors".
	Note     string  `json:"note,omitempty"`
	Children []*Vdev `json:"children,omitempty"`
}

// Resilvering reports whether the device is being resilvered.
func (v *Vdev) Resilvering() bool { return strings.Contains(v.Note, "resilvering") }

// Walk calls fn for v and every vdev below it, depth first.
func (v *Vdev) Walk(fn func(v *Vdev, depth int)) { v.walk(fn, 0) }

func (v *Vdev) walk(fn func(*Vdev, int), depth int) {
	fn(v, depth)
	for _, c := range v.Children {
		c.walk(fn, depth+1)
	}
}

// Leaves returns the devices (vdevs without children) below v.
func (v *Vdev) Leaves() []*Vdev {
	var out []*Vdev
	v.Walk(func(c *Vdev, _ int) {
		if len(c.Children) == 0 && c.Type != "root" {
			out = append(out, c)
		}
	})
	return out
}

// Scan is the state of a pool's last or current scrub or resilver.
type Scan struct {
	// Function is "scrub" or "resilver"; empty when none was requested.
	Function string `json:"function,omitempty"`
	// State is "none", "scanning", "paused", "finished" or "canceled".
	State string `json:"state"`
	// Vdev names the top-level vdev of a sequential rebuild
	// ("resilvered (mirror-0)"); empty otherwise.
	Vdev  string    `json:"vdev,omitempty"`
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Progress of a running scan, in bytes.
	Scanned uint64 `json:"scanned,omitempty"`
	Issued  uint64 `json:"issued,omitempty"`
	Total   uint64 `json:"total,omitempty"`
	// Processed is what was repaired (scrub) or resilvered.
	Processed uint64  `json:"processed"`
	Percent   float64 `json:"percent,omitempty"`
	// Remaining is the estimated time to go; zero when unknown.
	Remaining time.Duration `json:"remaining_ns,omitempty"`
	// Duration of a finished scan.
	Duration time.Duration `json:"duration_ns,omitempty"`
	Errors   uint64        `json:"errors"`
	// Text is the scan lines as zpool printed them.
	Text string `json:"text"`
}

// PoolStatus is what zpool status reports about one pool.
type PoolStatus struct {
	Name  string `json:"name"`
	State State  `json:"state"`
	// Status, Action and See are the explanation zpool gives for a pool
	// that needs attention, with its line breaks.
	Status string `json:"status,omitempty"`
	Action string `json:"action,omitempty"`
	See    string `json:"see,omitempty"`
	Scan   *Scan  `json:"scan,omitempty"`
	// Root is the pool's vdev tree: the root vdev, named after the pool,
	// whose children are the top-level vdevs of every class.
	Root *Vdev `json:"root"`
	// Errors is the "errors:" line, such as "No known data errors".
	Errors string `json:"errors"`
	// DataErrors counts data errors (with zpool status -v, which lists
	// the damaged files in ErrorFiles instead of a count, the number of
	// files).
	DataErrors uint64   `json:"data_errors"`
	ErrorFiles []string `json:"error_files,omitempty"`
	// Other holds sections this package does not model ("remove",
	// "checkpoint", "id", "comment"), keyed by their label.
	Other map[string]string `json:"other,omitempty"`
}

// Class returns the top-level vdevs of one class.
func (p *PoolStatus) Class(class string) []*Vdev {
	var out []*Vdev
	if p.Root == nil {
		return nil
	}
	for _, c := range p.Root.Children {
		if c.Class == class {
			out = append(out, c)
		}
	}
	return out
}

// Find returns the vdev with the given name, or nil.
func (p *PoolStatus) Find(name string) *Vdev {
	var found *Vdev
	if p.Root != nil {
		p.Root.Walk(func(v *Vdev, _ int) {
			if found == nil && v.Name == name {
				found = v
			}
		})
	}
	return found
}

// ParseStatus parses the text of zpool status (with or without -v, -p,
// -P, -L), and of zpool import's list of importable pools. It reads the
// spec's layout with spaces as well as zpool's tabs. name is used in
// errors.
func ParseStatus(name string, r io.Reader) ([]*PoolStatus, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	p := &statusParser{file: name}
	for sc.Scan() {
		p.line++
		if err := p.feed(sc.Text()); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.pools, nil
}

type statusParser struct {
	file  string
	line  int
	pools []*PoolStatus
	cur   *PoolStatus
	// section is the label whose continuation lines follow.
	section string
	// config parsing
	inConfig   bool
	haveHeader bool
	header     string // leading whitespace of the header line
	stateCol   int
	stack      []*Vdev
	class      string
	errorList  bool
}

func (p *statusParser) errf(format string, args ...any) error {
	return &ParseError{File: p.file, Line: p.line, Msg: fmt.Sprintf(format, args...)}
}

func (p *statusParser) feed(s string) error {
	trimmed := strings.TrimSpace(s)
	if label, value, ok := sectionLabel(s); ok {
		p.inConfig = false
		p.errorList = false
		if label == "pool" {
			if err := p.finish(); err != nil {
				return err
			}
			if err := ValidatePoolName(value); err != nil {
				return p.errf("%v", err)
			}
			p.cur = &PoolStatus{Name: value}
			p.pools = append(p.pools, p.cur)
			p.section = label
			return nil
		}
		if p.cur == nil {
			return p.errf("%q before the first pool: line", label)
		}
		p.section = label
		switch label {
		case "state":
			p.cur.State = State(value)
		case "status":
			p.cur.Status = value
		case "action":
			p.cur.Action = value
		case "see":
			p.cur.See = value
		case "scan":
			p.cur.Scan = &Scan{Text: value}
		case "config":
			p.inConfig = true
			p.haveHeader = false
			p.header = ""
			p.stack = nil
			p.class = ""
		case "errors":
			p.cur.Errors = value
			p.parseErrors(value)
		default:
			if p.cur.Other == nil {
				p.cur.Other = map[string]string{}
			}
			p.cur.Other[label] = value
		}
		return nil
	}
	if trimmed == "" {
		return nil
	}
	if p.cur == nil {
		if trimmed == "no pools available" || strings.HasPrefix(trimmed, "no pools available to import") {
			return nil
		}
		return p.errf("unexpected text before the first pool: %q", trimmed)
	}
	if p.inConfig {
		return p.configLine(s)
	}
	switch p.section {
	case "status":
		p.cur.Status += "\n" + trimmed
	case "action":
		p.cur.Action += "\n" + trimmed
	case "see":
		p.cur.See += "\n" + trimmed
	case "scan":
		p.cur.Scan.Text += "\n" + trimmed
	case "errors":
		if p.errorList {
			p.cur.ErrorFiles = append(p.cur.ErrorFiles, trimmed)
		}
	default:
		if p.cur.Other != nil {
			p.cur.Other[p.section] += "\n" + trimmed
		}
	}
	return nil
}

func (p *statusParser) parseErrors(v string) {
	switch {
	case strings.HasPrefix(v, "Permanent errors have been detected"):
		p.errorList = true
	case strings.HasSuffix(v, "data errors, use '-v' for a list") || strings.HasSuffix(v, "data error, use '-v' for a list"):
		n, _ := strconv.ParseUint(strings.Fields(v)[0], 10, 64)
		p.cur.DataErrors = n
	}
}

// sectionLabel recognizes "  pool: tank", " state: ONLINE", "config:".
func sectionLabel(s string) (label, value string, ok bool) {
	if s == "" || s[0] == '\t' {
		return "", "", false
	}
	t := strings.TrimLeft(s, " ")
	if len(s)-len(t) > 6 {
		return "", "", false
	}
	i := strings.IndexByte(t, ':')
	if i <= 0 {
		return "", "", false
	}
	label = t[:i]
	for _, c := range label {
		if !(c >= 'a' && c <= 'z') {
			return "", "", false
		}
	}
	rest := t[i+1:]
	if rest != "" && rest[0] != ' ' {
		return "", "", false
	}
	return label, strings.TrimSpace(rest), true
}

func (p *statusParser) configLine(s string) error {
	if !p.haveHeader {
		t := strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(t, "NAME") {
			return p.errf("config: want the NAME STATE header, got %q", strings.TrimSpace(s))
		}
		p.header = s[:len(s)-len(t)]
		p.stateCol = strings.Index(t, "STATE")
		if f := strings.Fields(t); len(f) < 2 || f[0] != "NAME" || f[1] != "STATE" || p.stateCol < 6 {
			return p.errf("config: want the NAME STATE header, got %q", strings.TrimSpace(s))
		}
		p.haveHeader = true
		return nil
	}
	body, ok := strings.CutPrefix(s, p.header)
	if !ok {
		body = strings.TrimPrefix(strings.TrimPrefix(s, "\t"), "        ")
	}
	indent := len(body) - len(strings.TrimLeft(body, " "))
	depth := indent / 2
	var name, rest string
	if p.stateCol <= len(body) && p.stateCol >= 2 && body[p.stateCol-1] == ' ' && body[p.stateCol-2] == ' ' {
		name = strings.TrimSpace(body[:p.stateCol])
		rest = body[p.stateCol:]
	} else if len(body) < p.stateCol && depth == 0 && isClass(strings.TrimSpace(body)) {
		name = strings.TrimSpace(body)
	} else {
		// A name wider than the column: split at the last run of
		// spaces before a state word.
		f := strings.Fields(body)
		k := len(f)
		for i, w := range f {
			if i > 0 && isState(w) {
				k = i
				break
			}
		}
		name = strings.Join(f[:k], " ")
		rest = strings.Join(f[k:], " ")
	}
	if name == "" {
		return p.errf("config: device line without a name")
	}
	f := strings.Fields(rest)
	if len(p.stack) > 0 && depth == 0 && len(f) == 0 && isClass(name) {
		p.class = name
		p.stack = p.stack[:1]
		return nil
	}
	v := &Vdev{Name: name, Class: p.class}
	if len(f) > 0 {
		v.State = State(f[0])
		if !isState(f[0]) {
			return p.errf("config: %s: unknown state %q", name, f[0])
		}
	} else if p.class != ClassCache && p.class != ClassSpare {
		return p.errf("config: %s: no state", name)
	}
	if len(f) >= 4 {
		var errs [3]uint64
		for i := range errs {
			n, err := parseCount(f[i+1])
			if err != nil {
				return p.errf("config: %s: %v", name, err)
			}
			errs[i] = n
		}
		v.Read, v.Write, v.Checksum = errs[0], errs[1], errs[2]
		v.Note = noteAfter(rest, 4)
	} else if len(f) > 1 {
		v.Note = noteAfter(rest, 1)
	}
	if len(p.stack) == 0 {
		if depth != 0 {
			return p.errf("config: first device line is indented")
		}
		if name != p.cur.Name {
			return p.errf("config: root vdev %q is not the pool %q", name, p.cur.Name)
		}
		v.Type = "root"
		v.Class = ""
		p.cur.Root = v
		p.stack = []*Vdev{v}
		return nil
	}
	level := depth
	if level < 1 {
		return p.errf("config: %s: expected an indented device", name)
	}
	if level > len(p.stack) {
		return p.errf("config: %s: indented too far", name)
	}
	p.stack = p.stack[:level]
	parent := p.stack[level-1]
	v.Type = vdevType(name, p.class, level)
	parent.Children = append(parent.Children, v)
	p.stack = append(p.stack, v)
	return nil
}

func noteAfter(rest string, fields int) string {
	s := strings.TrimLeft(rest, " ")
	for range fields {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			return ""
		}
		s = strings.TrimLeft(s[i:], " ")
	}
	return strings.TrimSpace(s)
}

func isClass(s string) bool {
	for _, c := range classes {
		if s == c {
			return true
		}
	}
	return false
}

func isState(s string) bool {
	switch State(s) {
	case StateOnline, StateDegraded, StateFaulted, StateOffline, StateUnavail, StateRemoved, StateSuspended, StateAvail, StateInUse, "SPLIT", "UNKNOWN":
		return true
	}
	return false
}

// vdevType derives a vdev's type from the name zpool status gives it.
func vdevType(name, class string, level int) string {
	base := name
	if i := strings.LastIndexByte(name, '-'); i > 0 && allDigits(name[i+1:]) {
		base = name[:i]
	}
	switch {
	case base == "mirror", base == "spare", base == "replacing", base == "indirect", base == "root":
		return base
	case base == "raidz":
		return "raidz1"
	case strings.HasPrefix(base, "raidz") && len(base) == 6:
		return base
	case strings.HasPrefix(base, "draid"):
		if class == ClassSpare || strings.Count(name, "-") == 2 && !strings.Contains(name, ":") {
			return "draid-spare"
		}
		t, _, _ := strings.Cut(base, ":")
		if t == "draid" {
			t = "draid1"
		}
		return t
	case strings.HasPrefix(name, "/") && !strings.HasPrefix(name, "/dev/"):
		return "file"
	}
	return "disk"
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// parseCount reads an error counter, exact ("12") or humanized ("1.2K").
func parseCount(s string) (uint64, error) {
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return n, nil
	}
	if s == "-" {
		return 0, nil
	}
	n, err := ParseSize(s)
	if err != nil {
		return 0, fmt.Errorf("bad error counter %q", s)
	}
	return n, nil
}

func (p *statusParser) finish() error {
	if p.cur == nil {
		return nil
	}
	if p.cur.Scan != nil {
		parseScan(p.cur.Scan)
	}
	if p.cur.DataErrors == 0 {
		p.cur.DataErrors = uint64(len(p.cur.ErrorFiles))
	}
	p.cur = nil
	return nil
}

// ctimeLayout is how zpool prints scan times (ctime(3)).
const ctimeLayout = "Mon Jan _2 15:04:05 2006"

// parseScan fills a Scan from its text. Text it does not recognize is
// kept in Text only.
func parseScan(sc *Scan) {
	lines := strings.Split(sc.Text, "\n")
	first := lines[0]
	sc.State = "none"
	switch {
	case first == "none requested" || first == "":
		return
	case strings.HasPrefix(first, "scrub repaired "):
		sc.Function, sc.State = "scrub", "finished"
		finishedScan(sc, strings.TrimPrefix(first, "scrub repaired "))
	case strings.HasPrefix(first, "resilvered "):
		sc.Function, sc.State = "resilver", "finished"
		rest := strings.TrimPrefix(first, "resilvered ")
		if strings.HasPrefix(rest, "(") {
			if i := strings.Index(rest, ") "); i > 0 {
				sc.Vdev, rest = rest[1:i], rest[i+2:]
			}
		}
		finishedScan(sc, rest)
	case strings.HasSuffix(strings.SplitN(first, " on ", 2)[0], "canceled"):
		sc.Function, _, _ = strings.Cut(first, " ")
		sc.State = "canceled"
		if _, t, ok := strings.Cut(first, " canceled on "); ok {
			sc.End = parseCtime(t)
		}
	case strings.Contains(first, " in progress since "):
		fn, t, _ := strings.Cut(first, " in progress since ")
		sc.Function, sc.State = fn, "scanning"
		if f, v, ok := strings.Cut(fn, " ("); ok {
			sc.Function, sc.Vdev = f, strings.TrimSuffix(v, ")")
		}
		sc.Start = parseCtime(t)
		progressLines(sc, lines[1:])
	case strings.HasPrefix(first, "scrub paused since "):
		sc.Function, sc.State = "scrub", "paused"
		progressLines(sc, lines[1:])
		for _, l := range lines[1:] {
			if t, ok := strings.CutPrefix(l, "scrub started on "); ok {
				sc.Start = parseCtime(t)
			}
		}
	}
}

// finishedScan reads "0B in 00:00:01 with 0 errors on Sun Jul  2 10:00:00 2023".
func finishedScan(sc *Scan, s string) {
	amount, rest, _ := strings.Cut(s, " in ")
	sc.Processed, _ = ParseSize(amount)
	dur, rest, _ := strings.Cut(rest, " with ")
	sc.Duration = parseClock(dur)
	errs, when, _ := strings.Cut(rest, " errors on ")
	sc.Errors, _ = strconv.ParseUint(errs, 10, 64)
	sc.End = parseCtime(when)
	if sc.Duration > 0 && !sc.End.IsZero() {
		sc.Start = sc.End.Add(-sc.Duration)
	}
}

// progressLines reads "1.23G scanned at 100M/s, 500M issued at 50M/s,
// 10.0G total" and "490M resilvered, 5.00% done, 00:03:10 to go".
func progressLines(sc *Scan, lines []string) {
	for _, l := range lines {
		for _, part := range strings.Split(l, ", ") {
			f := strings.Fields(part)
			if len(f) < 2 {
				continue
			}
			n, err := ParseSize(f[0])
			switch {
			case f[1] == "scanned" && err == nil:
				sc.Scanned = n
			case f[1] == "issued" && err == nil:
				sc.Issued = n
			case f[1] == "total" && err == nil:
				sc.Total = n
			case (f[1] == "repaired" || f[1] == "resilvered") && err == nil:
				sc.Processed = n
			case f[1] == "done" && strings.HasSuffix(f[0], "%"):
				sc.Percent, _ = strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64)
			case strings.HasSuffix(part, " to go"):
				sc.Remaining = parseClock(strings.TrimSuffix(part, " to go"))
			}
		}
	}
}

// parseClock reads "00:03:10" or "2 days 01:02:03".
func parseClock(s string) time.Duration {
	var days int64
	if d, rest, ok := strings.Cut(s, " days "); ok {
		days, _ = strconv.ParseInt(d, 10, 64)
		s = rest
	}
	f := strings.Split(strings.TrimSpace(s), ":")
	if len(f) != 3 {
		return 0
	}
	var hms [3]int64
	for i, x := range f {
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return 0
		}
		hms[i] = n
	}
	return time.Duration(((days*24+hms[0])*60+hms[1])*60+hms[2]) * time.Second
}

func parseCtime(s string) time.Time {
	t, err := time.ParseInLocation(ctimeLayout, strings.TrimSpace(s), time.Local)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Format writes the status in zpool status's layout (tabs, columns sized
// to the longest name, exact counters as with -p).
func (p *PoolStatus) Format() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "  pool: %s\n state: %s\n", p.Name, p.State)
	section := func(label, text string) {
		if text == "" {
			return
		}
		lines := strings.Split(text, "\n")
		fmt.Fprintf(&b, "%6s: %s\n", label, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "\t%s\n", l)
		}
	}
	section("status", p.Status)
	section("action", p.Action)
	section("see", p.See)
	if p.Scan != nil {
		section("scan", p.Scan.Text)
	}
	for _, k := range sortedKeys(p.Other) {
		section(k, p.Other[k])
	}
	if p.Root != nil {
		width := 10
		p.Root.Walk(func(v *Vdev, depth int) {
			width = max(width, len(v.Name)+2*depth)
		})
		fmt.Fprintf(&b, "config:\n\n\t%-*s  %-8s %5s %5s %5s\n", width, "NAME", "STATE", "READ", "WRITE", "CKSUM")
		line := func(v *Vdev, depth int) {
			fmt.Fprintf(&b, "\t%*s%-*s  %-8s", 2*depth, "", width-2*depth, v.Name, v.State)
			if v.Class != ClassSpare || v.Read+v.Write+v.Checksum != 0 {
				fmt.Fprintf(&b, " %5d %5d %5d", v.Read, v.Write, v.Checksum)
			}
			if v.Note != "" {
				fmt.Fprintf(&b, "  %s", v.Note)
			}
			b.WriteByte('\n')
		}
		line(p.Root, 0)
		class := ""
		for _, top := range p.Root.Children {
			if top.Class != class {
				class = top.Class
				if class == ClassCache || class == ClassSpare {
					fmt.Fprintf(&b, "\t%s\n", class)
				} else {
					fmt.Fprintf(&b, "\t%s\t\n", class)
				}
			}
			top.walk(func(v *Vdev, depth int) { line(v, depth) }, 1)
		}
		b.WriteByte('\n')
	}
	if p.Errors != "" {
		fmt.Fprintf(&b, "errors: %s\n", p.Errors)
		if len(p.ErrorFiles) > 0 {
			b.WriteByte('\n')
			for _, f := range p.ErrorFiles {
				fmt.Fprintf(&b, "%7s %s\n", "", f)
			}
		}
	}
	return b.Bytes()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
