package timesync

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Leap status values of chronyc tracking.
const (
	LeapNormal          = "Normal"
	LeapInsert          = "Insert second"
	LeapDelete          = "Delete second"
	LeapNotSynchronised = "Not synchronised"
)

// Tracking is chronyd's view of the system clock (chronyc -c tracking).
type Tracking struct {
	// RefID is the reference ID in hexadecimal ("7F000001"); "00000000"
	// when chronyd has no reference.
	RefID string `json:"ref_id"`
	// RefName is the address of the selected source, or the reference
	// clock's name.
	RefName string    `json:"ref_name"`
	Stratum int       `json:"stratum"`
	RefTime time.Time `json:"ref_time"`
	// Offset is how far the system clock is ahead of NTP time in
	// seconds (chronyc's text output says "fast" for positive values).
	Offset float64 `json:"offset"`
	// LastOffset is the offset at the last clock update, RMSOffset its
	// long-term average, in seconds.
	LastOffset float64 `json:"last_offset"`
	RMSOffset  float64 `json:"rms_offset"`
	// Frequency is the rate in ppm at which the clock would drift without
	// correction, as chronyc -c prints it; ResidualFreq and Skew are the
	// remaining error and its bound, in ppm.
	Frequency    float64 `json:"frequency_ppm"`
	ResidualFreq float64 `json:"residual_freq_ppm"`
	Skew         float64 `json:"skew_ppm"`
	// RootDelay and RootDispersion are in seconds.
	RootDelay      float64 `json:"root_delay"`
	RootDispersion float64 `json:"root_dispersion"`
	// UpdateInterval is the time between the last two clock updates in
	// seconds.
	UpdateInterval float64 `json:"update_interval"`
	// Leap is one of LeapNormal, LeapInsert, LeapDelete and
	// LeapNotSynchronised.
	Leap string `json:"leap"`
}

// Synchronised reports whether chronyd has a reference.
func (t *Tracking) Synchronised() bool {
	return t.Leap != LeapNotSynchronised && strings.Trim(t.RefID, "0") != ""
}

// RootDistance is the bound of the clock's error: root delay / 2 plus
// root dispersion, in seconds.
func (t *Tracking) RootDistance() float64 { return t.RootDelay/2 + t.RootDispersion }

// ParseTracking parses the output of chronyc -c tracking.
func ParseTracking(data []byte) (*Tracking, error) {
	recs, err := readCSV(data, 14)
	if err != nil {
		return nil, fmt.Errorf("chronyc tracking: %w", err)
	}
	if len(recs) != 1 {
		return nil, fmt.Errorf("chronyc tracking: %w: want one record, got %d", ErrSyntax, len(recs))
	}
	r := recs[0]
	var p numParser
	t := &Tracking{
		RefID:          r[0],
		RefName:        r[1],
		Stratum:        p.int(r[2]),
		RefTime:        p.epoch(r[3]),
		Offset:         -p.float(r[4]),
		LastOffset:     p.float(r[5]),
		RMSOffset:      p.float(r[6]),
		Frequency:      p.float(r[7]),
		ResidualFreq:   p.float(r[8]),
		Skew:           p.float(r[9]),
		RootDelay:      p.float(r[10]),
		RootDispersion: p.float(r[11]),
		UpdateInterval: p.float(r[12]),
		Leap:           r[13],
	}
	if p.err != nil {
		return nil, fmt.Errorf("chronyc tracking: %w", p.err)
	}
	return t, nil
}

// SourceState is one source's line of chronyc sources.
type SourceState struct {
	// Mode is "^" for a server, "=" for a peer, "#" for a reference
	// clock.
	Mode string `json:"mode"`
	// State is "*" selected, "+" combined, "-" not combined, "?"
	// unusable, "x" falseticker, "~" too variable.
	State   string `json:"state"`
	Address string `json:"address"`
	Stratum int    `json:"stratum"`
	// Poll is the polling interval as a power of two in seconds.
	Poll int `json:"poll"`
	// Reach is the reachability register: bit 0 is the last poll.
	Reach uint8 `json:"reach"`
	// LastRx is the age of the last sample in seconds, -1 for never.
	LastRx int64 `json:"last_rx"`
	// Offset is the source's offset after adjustment for clock updates
	// since the sample, Measured the sample's own, Error its margin, in
	// seconds.
	Offset   float64 `json:"offset"`
	Measured float64 `json:"measured"`
	Error    float64 `json:"error"`
}

// Selected reports whether this is the source chronyd synchronises to.
func (s SourceState) Selected() bool { return s.State == "*" }

// Reachable reports whether any of the last eight polls got an answer.
func (s SourceState) Reachable() bool { return s.Reach != 0 }

// ParseSources parses the output of chronyc -c sources.
func ParseSources(data []byte) ([]SourceState, error) {
	recs, err := readCSV(data, 10)
	if err != nil {
		return nil, fmt.Errorf("chronyc sources: %w", err)
	}
	out := make([]SourceState, 0, len(recs))
	for _, r := range recs {
		var p numParser
		reach, rerr := strconv.ParseUint(r[5], 8, 8)
		if rerr != nil {
			return nil, fmt.Errorf("chronyc sources: %w: reach %q", ErrSyntax, r[5])
		}
		s := SourceState{
			Mode: r[0], State: r[1], Address: r[2],
			Stratum: p.int(r[3]), Poll: p.int(r[4]), Reach: uint8(reach),
			LastRx: p.int64(r[6]), Offset: p.float(r[7]), Measured: p.float(r[8]), Error: p.float(r[9]),
		}
		if s.LastRx == math.MaxUint32 {
			s.LastRx = -1
		}
		if p.err != nil {
			return nil, fmt.Errorf("chronyc sources: %w", p.err)
		}
		out = append(out, s)
	}
	return out, nil
}

func readCSV(data []byte, fields int) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = fields
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	return recs, nil
}

type numParser struct{ err error }

func (p *numParser) fail(kind, s string) {
	if p.err == nil {
		p.err = fmt.Errorf("%w: %q is not %s", ErrSyntax, s, kind)
	}
}

func (p *numParser) float(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		p.fail("a number", s)
	}
	return f
}

func (p *numParser) int(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		p.fail("an integer", s)
	}
	return n
}

func (p *numParser) int64(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		p.fail("an integer", s)
	}
	return n
}

func (p *numParser) epoch(s string) time.Time {
	sec, frac, _ := strings.Cut(s, ".")
	n := p.int64(sec)
	var ns int64
	if frac != "" {
		frac = (frac + "000000000")[:9]
		ns = p.int64(frac)
	}
	if n == 0 && ns == 0 {
		return time.Time{}
	}
	return time.Unix(n, ns).UTC()
}

// TimesyncStatus is systemd-timesyncd's state as timedatectl
// timesync-status prints it.
type TimesyncStatus struct {
	// Server is the address in use, ServerName the name it was
	// resolved from (empty when configured as an address).
	Server     string `json:"server"`
	ServerName string `json:"server_name,omitempty"`
	// PollInterval is the current polling interval.
	PollInterval time.Duration `json:"poll_interval"`
	Leap         string        `json:"leap"`
	Stratum      int           `json:"stratum"`
	Reference    string        `json:"reference,omitempty"`
	RootDistance time.Duration `json:"root_distance"`
	// Offset is the offset of the last sample (positive: the server is
	// ahead), Delay its round trip.
	Offset      time.Duration `json:"offset"`
	Delay       time.Duration `json:"delay"`
	Jitter      time.Duration `json:"jitter"`
	PacketCount int64         `json:"packet_count"`
	// Frequency is the clock's frequency correction in ppm.
	Frequency float64 `json:"frequency_ppm"`
	// Fields keeps every "Name: value" line as printed.
	Fields map[string]string `json:"fields"`
}

// ParseTimesyncStatus parses the output of timedatectl
// timesync-status.
func ParseTimesyncStatus(data []byte) (*TimesyncStatus, error) {
	st := &TimesyncStatus{Fields: map[string]string{}}
	for line := range strings.Lines(string(data)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		st.Fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if len(st.Fields) == 0 {
		return nil, fmt.Errorf("timedatectl timesync-status: %w: no fields", ErrSyntax)
	}
	f := st.Fields
	st.Server, st.ServerName = splitServer(f["Server"])
	var err error
	set := func(d *time.Duration, key string) {
		v, ok := f[key]
		if !ok || err != nil {
			return
		}
		v, _, _ = strings.Cut(v, " (")
		if *d, err = ParseTimespan(v); err != nil {
			err = fmt.Errorf("timedatectl timesync-status: %s: %w", key, err)
		}
	}
	set(&st.PollInterval, "Poll interval")
	set(&st.RootDistance, "Root distance")
	set(&st.Offset, "Offset")
	set(&st.Delay, "Delay")
	set(&st.Jitter, "Jitter")
	if err != nil {
		return nil, err
	}
	st.Leap = f["Leap"]
	st.Reference = f["Reference"]
	st.Stratum, _ = strconv.Atoi(f["Stratum"])
	st.PacketCount, _ = strconv.ParseInt(f["Packet count"], 10, 64)
	st.Frequency, _ = strconv.ParseFloat(strings.TrimSuffix(f["Frequency"], "ppm"), 64)
	return st, nil
}

// splitServer splits "10.0.0.1 (ntp1.example.com)" or
// "10.0.0.1:123 (ntp1.example.com)".
func splitServer(s string) (addr, name string) {
	addr, name, _ = strings.Cut(s, " (")
	return addr, strings.TrimSuffix(name, ")")
}

var timespanUnits = []struct {
	suffix string
	d      time.Duration
}{
	{"usec", time.Microsecond}, {"us", time.Microsecond}, {"µs", time.Microsecond},
	{"nsec", time.Nanosecond}, {"ns", time.Nanosecond},
	{"msec", time.Millisecond}, {"ms", time.Millisecond},
	{"min", time.Minute}, {"sec", time.Second}, {"s", time.Second},
	{"h", time.Hour}, {"d", 24 * time.Hour}, {"w", 7 * 24 * time.Hour},
}

// ParseTimespan parses a systemd time span as timedatectl prints it:
// "+1.234ms", "-99us", "1min 4s", "0".
func ParseTimespan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, fmt.Errorf("%w: empty time span", ErrSyntax)
	}
	var total time.Duration
	for part := range strings.FieldsSeq(s) {
		i := strings.IndexFunc(part, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i <= 0 {
			return 0, fmt.Errorf("%w: bad time span %q", ErrSyntax, s)
		}
		n, err := strconv.ParseFloat(part[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("%w: bad time span %q", ErrSyntax, s)
		}
		unit := part[i:]
		found := false
		for _, u := range timespanUnits {
			if unit == u.suffix {
				total += time.Duration(math.Round(n * float64(u.d)))
				found = true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("%w: unknown unit %q in time span %q", ErrSyntax, unit, s)
		}
	}
	if neg {
		total = -total
	}
	return total, nil
}

// EventKind classifies a daemon log message.
type EventKind string

// The messages a caller checks after changing servers.
const (
	// EventSelected: chronyd selected a source, or timesyncd contacted
	// or synchronised to a server ("Selected source ...", "Contacted time
	// server ...", "Initial synchronization to time server ...").
	EventSelected EventKind = "selected"
	// EventUsing: timesyncd switched to a server ("Using NTP server
	// ...").
	EventUsing EventKind = "using"
	// EventUnsynchronised: chronyd lost its sources ("Can't synchronise:
	// ...", "No suitable source for synchronisation").
	EventUnsynchronised EventKind = "unsynchronised"
	// EventUnreachable: a server did not answer ("Timed out waiting for
	// reply from ...", "Source ... offline").
	EventUnreachable EventKind = "unreachable"
	// EventSample: timesyncd's "interval/delta/delay/jitter/drift" line.
	EventSample EventKind = "sample"
	// EventStep: the clock was stepped or found wrong ("System clock
	// wrong by ...", "System clock was stepped by ...").
	EventStep EventKind = "step"
	// EventStart: the daemon started.
	EventStart EventKind = "start"
	EventOther EventKind = ""
)

// Event is one log message of a time daemon, classified.
type Event struct {
	Time    time.Time `json:"time"`
	PID     int       `json:"pid,omitempty"`
	Ident   string    `json:"ident,omitempty"` // syslog identifier: chronyd, systemd-timesyncd
	Message string    `json:"message"`
	Kind    EventKind `json:"kind,omitempty"`
	// Address and Name are the server the message is about, when it
	// names one (Name is the configured host name when printed).
	Address string `json:"address,omitempty"`
	Name    string `json:"name,omitempty"`
}

var eventPatterns = []struct {
	kind EventKind
	re   *regexp.Regexp
}{
	{EventSelected, regexp.MustCompile(`^Selected source (\S+)(?: \(([^)]*)\))?`)},
	{EventSelected, regexp.MustCompile(`^(?:Initial synchronization to|Contacted) time server (\S+)(?: \(([^)]*)\))?`)},
	{EventUsing, regexp.MustCompile(`^Using NTP server (\S+)(?: \(([^)]*)\))?`)},
	{EventUnreachable, regexp.MustCompile(`^Timed out waiting for reply from (\S+)(?: \(([^)]*)\))?`)},
	{EventUnreachable, regexp.MustCompile(`^Source (\S+)(?: \(([^)]*)\))? offline`)},
	{EventUnsynchronised, regexp.MustCompile(`^(?:Can't synchronise|No suitable source for synchronisation)`)},
	{EventSample, regexp.MustCompile(`^interval/delta/delay/jitter/drift `)},
	{EventStep, regexp.MustCompile(`^System clock (?:wrong by|was stepped by)`)},
	{EventStart, regexp.MustCompile(`^chronyd version \S+ starting|^Started (?:chrony|Network Time Synchronization)`)},
}

// ClassifyMessage returns the event a log message describes, with the
// server address (port and final "." removed) and name it mentions.
func ClassifyMessage(msg string) (kind EventKind, addr, name string) {
	for _, p := range eventPatterns {
		m := p.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		if len(m) > 1 {
			addr = strings.TrimSuffix(m[1], ".")
			if h, _, err := net.SplitHostPort(addr); err == nil {
				addr = h
			}
		}
		if len(m) > 2 {
			name = m[2]
		}
		return p.kind, addr, name
	}
	return EventOther, "", ""
}

// journalEntry holds the journal fields ParseJournal reads.
type journalEntry struct {
	Message   json.RawMessage `json:"MESSAGE"`
	Realtime  string          `json:"__REALTIME_TIMESTAMP"`
	PID       string          `json:"_PID"`
	SyslogPID string          `json:"SYSLOG_PID"`
	Ident     string          `json:"SYSLOG_IDENTIFIER"`
}

// ParseJournal parses journalctl -o json output (one object per line)
// into events. Messages the journal stored as byte arrays (not UTF-8)
// are decoded as bytes.
func ParseJournal(r io.Reader) ([]Event, error) {
	var out []Event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var je journalEntry
		if err := json.Unmarshal(line, &je); err != nil {
			return out, fmt.Errorf("journal line %d: %w: %v", n, ErrSyntax, err)
		}
		var msg string
		if err := json.Unmarshal(je.Message, &msg); err != nil {
			var raw []byte
			var nums []int
			if json.Unmarshal(je.Message, &nums) == nil {
				for _, b := range nums {
					raw = append(raw, byte(b))
				}
			}
			msg = string(raw)
		}
		ev := Event{Message: msg, Ident: je.Ident}
		if us, err := strconv.ParseInt(je.Realtime, 10, 64); err == nil {
			ev.Time = time.UnixMicro(us).UTC()
		}
		ev.PID, _ = strconv.Atoi(je.PID)
		if ev.PID == 0 {
			ev.PID, _ = strconv.Atoi(je.SyslogPID)
		}
		ev.Kind, ev.Address, ev.Name = ClassifyMessage(msg)
		out = append(out, ev)
	}
	return out, sc.Err()
}

// ParseChronyLog parses chronyd's own log lines, as it writes them to
// stderr with -d or to its logfile: "2024-08-26T13:00:15Z Selected
// source 10.0.0.1 (ntp1.example.com)".
func ParseChronyLog(r io.Reader) ([]Event, error) {
	var out []Event
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		ev := Event{Ident: "chronyd", Message: line}
		if ts, rest, ok := strings.Cut(line, " "); ok {
			if t, err := time.Parse(time.RFC3339, ts); err == nil {
				ev.Time, ev.Message = t, rest
			}
		}
		ev.Kind, ev.Address, ev.Name = ClassifyMessage(ev.Message)
		out = append(out, ev)
	}
	return out, sc.Err()
}
