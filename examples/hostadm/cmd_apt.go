package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hostadm/hostadm/apt"
)

func init() {
	register(&Command{
		Name:    "apt",
		Summary: "package repositories, versions, updates and holds",
		Sub: []*Command{
			{Name: "list", Summary: "list repositories with their classification and findings", Run: aptList,
				Help: `Text: one line per repository entry (FILE:LINE, on/off, kinds, the entry),
the standard repositories and their state, then the findings.
JSON: {"codename", "subscription": {"status", ...}, "repositories": [{"path",
"line", "enabled", "types", "uris", "suites", "components", "comment",
"classes": [{"kind", "uri", "suite", "codename", "ceph", "handle"}]}],
"standard": [{"handle", "name", "status"}], "ignored": [...], "findings":
[{"check", "severity", "message", "advice", "path", "line"}]}.
Exits 1 when a finding has severity error.`},
			{Name: "fmt", Args: "FILE", Summary: "parse a sources file and write it back to stdout", Run: aptFmt,
				Help: `FILE is read below --root; ".sources" files are deb822, all others
one-line. The output equals the input for any file APT accepts; a file
APT refuses gives an error with FILE:LINE:COLUMN.`},
			{Name: "versions", Summary: "compare version pairs read from stdin", Run: aptVersions,
				Help: `Reads lines "A B" on stdin and prints, per line, -1, 0 or 1 (A is older,
equal or newer with dpkg's ordering) or "error: REASON" for a version
dpkg refuses. Exits 1 if any line was an error.`},
			{Name: "upgradable", Summary: "list packages with a newer candidate (apt list --upgradable)", Run: aptUpgradable,
				Help: `Text: "NAME/ARCHIVES CANDIDATE ARCH [upgradable from: INSTALLED]", as
apt list --upgradable prints it, with ",held" for packages on hold.
JSON: [{"name", "arch", "installed", "candidate", "archives", "held",
"origins": [{"archive", "codename", "origin", "label", "component",
"site", "uri", "priority", "path"}]}].`},
			{Name: "policy", Args: "NAME", Summary: "every available version of a package (apt list -a)", Run: aptPolicy,
				Help: `Text: "NAME/ARCHIVES VERSION ARCH PRIORITY [installed,automatic,candidate]"
per version, newest first. JSON: [{"name", "arch", "version", "origins",
"priority", "installed", "candidate", "automatic"}]. Exits 1 for an unknown
package.`},
			{Name: "hold", Args: "NAME...", Summary: "put packages on hold (apt-mark hold)", Run: aptHold(true)},
			{Name: "unhold", Args: "NAME...", Summary: "take packages off hold (apt-mark unhold)", Run: aptHold(false)},
			{Name: "add", Args: "HANDLE", Summary: "enable a standard repository (no-subscription, ceph-reef-enterprise, ...)", Run: aptAdd,
				Help: `Enables a disabled entry of the repository, or adds the line the admin
guide shows to its standard file. Prints the changed file, or nothing if
the repository was enabled already. JSON: {"handle", "changed"}.`},
			{Name: "keys", Summary: "trusted keys and the signature state of every repository (SecureApt)", Run: aptKeys,
				Help: `Text: the keys of /etc/apt/trusted.gpg and trusted.gpg.d with fingerprint,
algorithm, expiry and user IDs, then one line per repository: the key that
signed its InRelease, or why it could not be verified. JSON: {"keyrings":
[{"path", "armored", "keys": [{"fingerprint", "keyid", "algorithm", "uids",
"created", "expires", "revoked", "subkeys"}]}], "repositories": [{"uri",
"suite", "path", "signature": {"fingerprint", "uid", "created", "keyring"},
"error"}], "release_keys": [{"path", "ok", "error"}]}: release keys with
published checksums (proxmox-release-bookworm.gpg) are checked against them.
Exits 1 when a downloaded InRelease does not verify or a release key does
not match its checksums.`},
			{Name: "firmware", Summary: "add non-free-firmware to every Debian entry", Run: aptFirmware,
				Help: `Appends non-free-firmware to each enabled Debian entry that lacks it (the
Debian Firmware Repository, needed for CPU microcode packages) and prints
the changed files. Run apt-get update afterwards. JSON: {"changed": [...]}.`},
		},
	})
}

func aptClient(env *Env) (*apt.Client, error) {
	return apt.New(&apt.Config{Root: env.Root})
}

func aptList(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("apt list: no arguments expected")
	}
	c, err := aptClient(env)
	if err != nil {
		return err
	}
	defer c.Close()
	rep, err := c.Check(time.Now())
	if err != nil {
		return err
	}
	bad := false
	for _, f := range rep.Findings {
		bad = bad || f.Severity == apt.Error
	}
	if env.JSON {
		if err := env.PrintJSON(rep); err != nil {
			return err
		}
	} else {
		tw := env.Table()
		for _, r := range rep.Repositories {
			state := "on"
			if !r.Enabled {
				state = "off"
			}
			var kinds []string
			for _, c := range r.Classes {
				kinds = append(kinds, string(c.Kind))
			}
			fmt.Fprintf(tw, "%s:%d\t%s\t%s\t%s %s %s %s\n", r.Path, r.Line, state, strings.Join(uniq(kinds), ","),
				strings.Join(r.Types, ","), strings.Join(r.URIs, ","), strings.Join(r.Suites, ","), strings.Join(r.Components, " "))
		}
		tw.Flush()
		fmt.Fprintf(env.Stdout, "\nstandard repositories (%s):\n", rep.Codename)
		tw = env.Table()
		for _, s := range rep.Standard {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Handle, s.Status, s.Name)
		}
		tw.Flush()
		if len(rep.Findings) > 0 {
			fmt.Fprintln(env.Stdout, "\nfindings:")
		}
		for _, f := range rep.Findings {
			where := ""
			if w := f.Where(); w != "" {
				where = " (" + w + ")"
			}
			fmt.Fprintf(env.Stdout, "  %-7s %s%s\n", f.Severity, f.Message, where)
			if f.Advice != "" {
				fmt.Fprintf(env.Stdout, "          -> %s\n", f.Advice)
			}
		}
	}
	if bad {
		return ErrFindings
	}
	return nil
}

func uniq(s []string) []string {
	var out []string
	for _, x := range s {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}

func aptFmt(ctx context.Context, env *Env, args []string) error {
	if len(args) != 1 {
		return usagef("apt fmt: want one FILE")
	}
	fsys, err := env.FS()
	if err != nil {
		return err
	}
	data, err := fsys.ReadFile(args[0])
	if err != nil {
		return err
	}
	f, err := apt.ParseSourceFile(args[0], data)
	if err != nil {
		return err
	}
	_, err = env.Stdout.Write(f.Format())
	return err
}

func aptVersions(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("apt versions: reads \"A B\" lines on stdin, no arguments")
	}
	w := bufio.NewWriter(env.Stdout)
	defer w.Flush()
	sc := bufio.NewScanner(env.Stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	failed := false
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			fmt.Fprintf(w, "error: want two versions, got %d fields\n", len(f))
			failed = true
			continue
		}
		n, err := apt.CompareVersions(f[0], f[1])
		if err != nil {
			fmt.Fprintf(w, "error: %v\n", err)
			failed = true
			continue
		}
		w.WriteString(strconv.Itoa(n))
		w.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if failed {
		return ErrFindings
	}
	return nil
}

func aptUpgradable(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("apt upgradable: no arguments expected")
	}
	c, err := aptClient(env)
	if err != nil {
		return err
	}
	defer c.Close()
	ups, err := c.Upgradable()
	if err != nil {
		return err
	}
	if env.JSON {
		return env.PrintJSON(nonNil(ups))
	}
	for _, u := range ups {
		held := ""
		if u.Held {
			held = ",held"
		}
		fmt.Fprintf(env.Stdout, "%s/%s %s %s [upgradable from: %s%s]\n", u.Name, strings.Join(u.Archives, ","), u.Candidate, u.Arch, u.Installed, held)
	}
	return nil
}

func aptPolicy(ctx context.Context, env *Env, args []string) error {
	if len(args) != 1 {
		return usagef("apt policy: want one package NAME")
	}
	c, err := aptClient(env)
	if err != nil {
		return err
	}
	defer c.Close()
	vs, err := c.Versions(args[0])
	if err != nil {
		if errors.Is(err, apt.ErrNoPackage) {
			fmt.Fprintf(env.Stderr, "hostadm: %v\n", err)
			return ErrFindings
		}
		return err
	}
	if env.JSON {
		return env.PrintJSON(vs)
	}
	tw := env.Table()
	for _, v := range vs {
		var flags []string
		if v.Installed {
			flags = append(flags, "installed")
		}
		if v.Automatic {
			flags = append(flags, "automatic")
		}
		if v.Candidate {
			flags = append(flags, "candidate")
		}
		fl := ""
		if len(flags) > 0 {
			fl = "\t[" + strings.Join(flags, ",") + "]"
		}
		fmt.Fprintf(tw, "%s/%s\t%s\t%s\t%d%s\n", v.Name, v.Archives(), v.Version, v.Arch, v.Priority, fl)
	}
	return tw.Flush()
}

func aptHold(hold bool) func(ctx context.Context, env *Env, args []string) error {
	return func(ctx context.Context, env *Env, args []string) error {
		if len(args) == 0 {
			return usagef("apt hold/unhold: want at least one package NAME")
		}
		c, err := aptClient(env)
		if err != nil {
			return err
		}
		defer c.Close()
		if hold {
			err = c.Hold(ctx, args...)
		} else {
			err = c.Unhold(ctx, args...)
		}
		if err != nil {
			return err
		}
		if !env.JSON {
			for _, n := range args {
				if hold {
					fmt.Fprintf(env.Stdout, "%s set on hold.\n", n)
				} else {
					fmt.Fprintf(env.Stdout, "Canceled hold on %s.\n", n)
				}
			}
			return nil
		}
		return env.PrintJSON(map[string]any{"held": hold, "packages": args})
	}
}

func aptAdd(ctx context.Context, env *Env, args []string) error {
	if len(args) != 1 {
		return usagef("apt add: want one repository HANDLE")
	}
	c, err := aptClient(env)
	if err != nil {
		return err
	}
	defer c.Close()
	changed, err := c.AddStandardRepository(ctx, args[0])
	if errors.Is(err, apt.ErrUnknownHandle) {
		return usagef("apt add: %v", err)
	}
	if err != nil {
		return err
	}
	if env.JSON {
		return env.PrintJSON(map[string]string{"handle": args[0], "changed": changed})
	}
	if changed != "" {
		fmt.Fprintln(env.Stdout, changed)
	}
	return nil
}

func aptKeys(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("apt keys: no arguments expected")
	}
	c, err := aptClient(env)
	if err != nil {
		return err
	}
	defer c.Close()
	krs, errs := c.TrustedKeyrings()
	checks, err := c.VerifyRepositories(time.Time{})
	if err != nil {
		return err
	}
	sums := c.ReleaseKeyChecksums()
	bad := len(errs) > 0
	for _, rc := range checks {
		bad = bad || rc.Err != nil
	}
	for _, kc := range sums {
		bad = bad || !kc.OK
	}
	if env.JSON {
		krs = nonNil(krs)
		sums = nonNil(sums)
		if err := env.PrintJSON(map[string]any{"keyrings": krs, "repositories": checks, "release_keys": sums}); err != nil {
			return err
		}
	} else {
		now := time.Now()
		tw := env.Table()
		for _, kr := range krs {
			for _, k := range kr.Keys {
				exp := "never"
				if !k.Expires.IsZero() {
					exp = k.Expires.Format("2006-01-02")
					if k.Expired(now) {
						exp += " (expired)"
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\texpires %s\t%s\n", kr.Path, k.Fingerprint, k.Algorithm, exp, strings.Join(k.UserIDs, "; "))
			}
		}
		tw.Flush()
		for _, err := range errs {
			fmt.Fprintf(env.Stdout, "error: %v\n", err)
		}
		for _, kc := range sums {
			if kc.OK {
				fmt.Fprintf(env.Stdout, "%s: matches the published SHA-512 and MD5 checksums\n", kc.Path)
			} else {
				fmt.Fprintf(env.Stdout, "%s: %s\n", kc.Path, kc.Error)
			}
		}
		fmt.Fprintln(env.Stdout)
		tw = env.Table()
		for _, rc := range checks {
			state := "no lists downloaded"
			switch {
			case rc.Err != nil:
				state = "NOT VERIFIED: " + rc.Error
			case rc.Signature != nil:
				state = "signed by " + rc.Signature.Fingerprint + " (" + rc.Signature.Keyring + ")"
			}
			fmt.Fprintf(tw, "%s %s\t%s\n", rc.URI, rc.Suite, state)
		}
		tw.Flush()
	}
	if bad {
		return ErrFindings
	}
	return nil
}

func aptFirmware(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("apt firmware: no arguments expected")
	}
	c, err := aptClient(env)
	if err != nil {
		return err
	}
	defer c.Close()
	changed, err := c.EnableNonFreeFirmware(ctx)
	if err != nil {
		return err
	}
	if env.JSON {
		changed = nonNil(changed)
		return env.PrintJSON(map[string][]string{"changed": changed})
	}
	for _, p := range changed {
		fmt.Fprintln(env.Stdout, p)
	}
	return nil
}
