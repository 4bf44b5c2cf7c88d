package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Severity grades a finding.
type Severity int

// Severities, from least to most serious.
const (
	OK Severity = iota
	Info
	Warning
	Error
)

var severityNames = [...]string{"ok", "info", "warning", "error"}

func (s Severity) String() string {
	if s < OK || s > Error {
		return fmt.Sprintf("Severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	for i, n := range severityNames {
		if n == string(b) {
			*s = Severity(i)
			return nil
		}
	}
	return fmt.Errorf("unknown severity %q", b)
}

// Finding is one result of a check.
type Finding struct {
	Severity Severity `json:"severity"`
	// Check is a stable identifier such as "apt.security-repo-missing",
	// for scripts that filter findings.
	Check string `json:"check"`
	// Summary is one line saying what was found.
	Summary string `json:"summary"`
	// Where is a file and line ("/etc/apt/sources.list:3") or object.
	Where string `json:"where,omitempty"`
	// Advice is one line of what to do, drawn from the admin guide.
	Advice string `json:"advice,omitempty"`
}

// Section is the findings of one area.
type Section struct {
	Area     string        `json:"area"`
	Title    string        `json:"title"`
	Findings []Finding     `json:"findings"`
	Elapsed  time.Duration `json:"elapsed_ns"`
}

// Worst returns the most serious severity in the section.
func (s *Section) Worst() Severity {
	w := OK
	for _, f := range s.Findings {
		w = max(w, f.Severity)
	}
	return w
}

func (s *Section) add(sev Severity, check, summary, advice string) *Finding {
	s.Findings = append(s.Findings, Finding{Severity: sev, Check: s.Area + "." + check, Summary: summary, Advice: advice})
	return &s.Findings[len(s.Findings)-1]
}

// OK, Info, Warn and Error add findings; the returned pointer can be used
// to set Where.
func (s *Section) OK(check, format string, args ...any) *Finding {
	return s.add(OK, check, fmt.Sprintf(format, args...), "")
}

func (s *Section) Info(check, advice, format string, args ...any) *Finding {
	return s.add(Info, check, fmt.Sprintf(format, args...), advice)
}

func (s *Section) Warn(check, advice, format string, args ...any) *Finding {
	return s.add(Warning, check, fmt.Sprintf(format, args...), advice)
}

func (s *Section) Error(check, advice, format string, args ...any) *Finding {
	return s.add(Error, check, fmt.Sprintf(format, args...), advice)
}

// Report is the whole output.
type Report struct {
	Root     string         `json:"root"`
	Host     string         `json:"host"`
	Time     time.Time      `json:"time"`
	Sections []Section      `json:"sections"`
	Counts   map[string]int `json:"counts"`
}

func (r *Report) count() {
	r.Counts = map[string]int{}
	for _, n := range severityNames {
		r.Counts[n] = 0
	}
	for _, s := range r.Sections {
		for _, f := range s.Findings {
			r.Counts[f.Severity.String()]++
		}
	}
}

// Worst returns the most serious severity of the report.
func (r *Report) Worst() Severity {
	w := OK
	for i := range r.Sections {
		w = max(w, r.Sections[i].Worst())
	}
	return w
}

func (r *Report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeText prints the report grouped by area:
//
//	== system: kernel, CPU and memory ==
//	  ok       kernel 6.8.12-4-pve
//	  warning  /etc/hosts maps pve1 to 127.0.1.1
//	           -> map the node name to its cluster address
func (r *Report) writeText(w io.Writer) error {
	var b strings.Builder
	where := r.Root
	if where == "/" {
		where = "this host"
	}
	fmt.Fprintf(&b, "hostcheck of %s (%s)\n", r.Host, where)
	for _, s := range r.Sections {
		fmt.Fprintf(&b, "\n== %s: %s ==\n", s.Area, s.Title)
		for _, f := range s.Findings {
			fmt.Fprintf(&b, "  %-8s %s", f.Severity, f.Summary)
			if f.Where != "" {
				fmt.Fprintf(&b, " (%s)", f.Where)
			}
			b.WriteByte('\n')
			if f.Advice != "" {
				fmt.Fprintf(&b, "  %-8s -> %s\n", "", f.Advice)
			}
		}
	}
	fmt.Fprintf(&b, "\n%d ok, %d info, %d warning, %d error\n",
		r.Counts["ok"], r.Counts["info"], r.Counts["warning"], r.Counts["error"])
	_, err := io.WriteString(w, b.String())
	return err
}
