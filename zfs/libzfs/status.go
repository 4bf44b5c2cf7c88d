//go:build linux && cgo && libzfs

package libzfs

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hostadm/hostadm/zfs"
)

// parseStatusRows reads the rows the C status helper writes: a "scan"
// row of pool_scan_stat_t fields, an "errors" row and one row per vdev
// (depth, class, type, parity, name, state, read, write, checksum, note,
// resilvering).
func parseStatusRows(pool string, data []byte) (*zfs.PoolStatus, error) {
	st := &zfs.PoolStatus{Name: pool}
	var stack []*zfs.Vdev
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		bad := func(msg string) error {
			return &zfs.ParseError{File: "libzfs status", Line: i + 1, Msg: msg}
		}
		switch f[0] {
		case "scan":
			if len(f) != 15 {
				return nil, bad("scan row")
			}
			var v [14]uint64
			for j := range v {
				v[j], _ = strconv.ParseUint(f[j+1], 10, 64)
			}
			st.Scan = scanFromStats(v)
			continue
		case "errors":
			n, _ := strconv.ParseUint(f[1], 10, 64)
			st.DataErrors = n
			st.Errors = "No known data errors"
			if n > 0 {
				st.Errors = fmt.Sprintf("%d data errors, use '-v' for a list", n)
			}
			continue
		case "errfile":
			st.Errors = "Permanent errors have been detected in the following files:"
			st.ErrorFiles = append(st.ErrorFiles, strings.Join(f[1:], "\t"))
			continue
		case "see":
			st.See = "https://openzfs.github.io/openzfs-docs/msg/" + f[1]
			continue
		}
		if len(f) < 10 {
			return nil, bad("vdev row")
		}
		depth, err := strconv.Atoi(f[0])
		if err != nil || depth > len(stack) {
			return nil, bad("vdev depth")
		}
		v := &zfs.Vdev{Name: f[4], Class: f[1], State: zfs.State(f[5]), Note: f[9]}
		v.Read, _ = strconv.ParseUint(f[6], 10, 64)
		v.Write, _ = strconv.ParseUint(f[7], 10, 64)
		v.Checksum, _ = strconv.ParseUint(f[8], 10, 64)
		if len(f) > 10 && f[10] == "resilvering" && st.Scan != nil && st.Scan.State == "scanning" {
			if v.Note != "" {
				v.Note += "  "
			}
			v.Note += "(" + map[string]string{"resilver": "resilvering", "scrub": "repairing"}[st.Scan.Function] + ")"
		}
		switch t := f[2]; t {
		case "raidz", "draid":
			v.Type = t + f[3]
		case "spare", "replacing", "mirror", "root", "file", "disk", "indirect":
			v.Type = t
		case "dspare":
			v.Type = "draid-spare"
		default:
			v.Type = t
		}
		if depth == 0 {
			st.State = v.State
			st.Root = v
			stack = []*zfs.Vdev{v}
			continue
		}
		stack = stack[:depth]
		parent := stack[depth-1]
		parent.Children = append(parent.Children, v)
		stack = append(stack, v)
	}
	if st.Root == nil {
		return nil, fmt.Errorf("libzfs: status %s: no vdev tree: %w", pool, zfs.ErrNotFound)
	}
	return st, nil
}

// scanFromStats fills a Scan from pool_scan_stat_t: func, state, start,
// end, to_examine, examined, processed, errors, issued, pass_start,
// pass_exam, pass_issued, pass_scrub_pause, pass_scrub_spent_paused.
func scanFromStats(v [14]uint64) *zfs.Scan {
	sc := &zfs.Scan{State: "none"}
	fn := map[uint64]string{1: "scrub", 2: "resilver"}[v[0]]
	if fn == "" {
		sc.Text = "none requested"
		return sc
	}
	sc.Function = fn
	sc.Start, sc.End = time.Unix(int64(v[2]), 0), time.Unix(int64(v[3]), 0)
	sc.Total, sc.Scanned, sc.Processed, sc.Errors, sc.Issued = v[4], v[5], v[6], v[7], v[8]
	switch v[1] { // dsl_scan_state_t: none, scanning, finished, canceled
	case 1:
		sc.State = "scanning"
		if v[12] != 0 {
			sc.State = "paused"
		}
		if sc.Total > 0 {
			sc.Percent = float64(sc.Issued) * 100 / float64(sc.Total)
		}
		elapsed := time.Since(time.Unix(int64(v[9]), 0)) - time.Duration(v[13])*time.Second
		if rate := float64(v[11]) / elapsed.Seconds(); elapsed > 0 && rate > 0 && sc.Total > sc.Issued {
			sc.Remaining = time.Duration(float64(sc.Total-sc.Issued)/rate) * time.Second
		}
		sc.End = time.Time{}
		sc.Text = fmt.Sprintf("%s in progress since %s", fn, sc.Start.Format("Mon Jan _2 15:04:05 2006"))
	case 2:
		sc.State = "finished"
		sc.Duration = sc.End.Sub(sc.Start)
		verb := "scrub repaired"
		if fn == "resilver" {
			verb = "resilvered"
		}
		sc.Text = fmt.Sprintf("%s %s in %s with %d errors on %s", verb, zfs.HumanSize(sc.Processed), clock(sc.Duration), sc.Errors, sc.End.Format("Mon Jan _2 15:04:05 2006"))
	case 3:
		sc.State = "canceled"
		sc.Text = fmt.Sprintf("%s canceled on %s", fn, sc.End.Format("Mon Jan _2 15:04:05 2006"))
	}
	return sc
}

func clock(d time.Duration) string {
	s := int64(d / time.Second)
	if days := s / 86400; days > 0 {
		return fmt.Sprintf("%d days %02d:%02d:%02d", days, s/3600%24, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}
