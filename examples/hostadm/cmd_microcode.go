package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/hostadm/hostadm/apt"
	"github.com/hostadm/hostadm/microcode"
)

func init() {
	register(&Command{Name: "microcode", Summary: "CPU microcode: revisions, vendor package, early updates, vulnerabilities", Sub: []*Command{
		microcodeStatusCmd(), microcodeVulnCmd(), microcodeSetupCmd(), microcodeVersionsCmd(), microcodeDowngradeCmd(),
	}})
}

func microcodeClient(env *Env) (*microcode.Client, error) {
	return microcode.New(&microcode.Config{Root: env.Root})
}

// microcodeVendor opens a client and returns the boot CPU's vendor.
func microcodeVendor(env *Env) (*microcode.Client, microcode.Vendor, error) {
	c, err := microcodeClient(env)
	if err != nil {
		return nil, "", err
	}
	cpus, err := c.CPUs()
	if err == nil && len(cpus) == 0 {
		err = fmt.Errorf("%s lists no processors", microcode.CPUInfoPath)
	}
	if err != nil {
		c.Close()
		return nil, "", err
	}
	return c, cpus[0].Vendor, nil
}

func microcodeStatusCmd() *Command {
	return &Command{
		Name: "status", Summary: "show the running revision, the package and the early update",
		Help: `Text output: the CPU, the running revision(s), the early update the kernel
logged, the newest revision the installed firmware files offer, and the
vendor package.

JSON output: {"cpus": [{"processor", "vendor", "family", "model",
"stepping", "model_name", "revision", "has_revision", "processor_flags",
"physical_id", "core_id", "hypervisor"}], "vendor", "package", "revisions",
"mixed", "hypervisor", "available": {"revision", "date", "signature",
"platform_mask"}, "available_file", "early": {"updated", "from", "to",
"date", "lines", "disabled"}, "early_from", "loader_disabled",
"configured_disabled", "configured_in",
"vulnerabilities": [...], "reboot_needed", "package_state": {"name",
"installed", "version", "held", "non_free_firmware"}}. Revisions are numbers.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			c, err := microcodeClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			st, err := c.State(ctx)
			if err != nil {
				return err
			}
			var pkg *microcode.PackageState
			if st.Package != "" {
				pkg, _ = c.Package(st.Vendor)
			}
			if env.JSON {
				return env.PrintJSON(struct {
					*microcode.State
					RebootNeeded bool                    `json:"reboot_needed"`
					PackageState *microcode.PackageState `json:"package_state,omitempty"`
				}{st, st.RebootNeeded(), pkg})
			}
			w := env.Stdout
			cpu := st.CPUs[0]
			fmt.Fprintf(w, "CPU:        %s (%s family %d model %d stepping %d), %d logical CPUs\n",
				cpu.ModelName, cpu.Vendor, cpu.Family, cpu.Model, cpu.Stepping, len(st.CPUs))
			var revs []string
			for _, r := range st.Revisions {
				revs = append(revs, microcode.FormatRevision(r))
			}
			fmt.Fprintf(w, "microcode:  %s", strings.Join(revs, ", "))
			if st.Mixed {
				fmt.Fprint(w, " (CPUs differ)")
			}
			fmt.Fprintln(w)
			switch {
			case st.Early.Updated:
				fmt.Fprintf(w, "early:      updated")
				if st.Early.HasFrom {
					fmt.Fprintf(w, " from %s", microcode.FormatRevision(st.Early.From))
				}
				if st.Early.HasTo {
					fmt.Fprintf(w, " to %s", microcode.FormatRevision(st.Early.To))
				}
				if st.Early.Date != "" {
					fmt.Fprintf(w, ", date = %s", st.Early.Date)
				}
				fmt.Fprintf(w, " (%s)\n", st.EarlyFrom)
			case st.EarlyFrom != "":
				fmt.Fprintf(w, "early:      no update logged (%s)\n", st.EarlyFrom)
			}
			if st.LoaderDisabled {
				fmt.Fprintln(w, "loader:     disabled for this boot (dis_ucode_ldr)")
			}
			if st.ConfiguredDisabled {
				fmt.Fprintf(w, "configured: dis_ucode_ldr in %s\n", st.ConfiguredIn)
			}
			if st.Available != nil {
				fmt.Fprintf(w, "available:  %s, date = %s (%s)\n", microcode.FormatRevision(st.Available.Revision), st.Available.Date, st.AvailableFile)
			}
			if st.RebootNeeded() {
				fmt.Fprintln(w, "reboot:     needed to load the available microcode")
			}
			if pkg != nil {
				state := "not installed"
				if pkg.Installed {
					state = pkg.Version
					if pkg.Held {
						state += ", on hold"
					}
				}
				fmt.Fprintf(w, "package:    %s %s; non-free-firmware %v\n", pkg.Name, state, pkg.NonFreeFirmware)
			}
			if st.Hypervisor {
				fmt.Fprintln(w, "note:       virtual machine: microcode is the host's")
			}
			return nil
		},
	}
}

func microcodeVulnCmd() *Command {
	return &Command{
		Name: "vulnerabilities", Summary: "list CPU vulnerabilities and mitigations like lscpu",
		Help: `Text output: "Vulnerability TITLE: TEXT" lines as lscpu shows them (with the
kernel's own text). Exit status 1 when one is vulnerable.

JSON output: [{"name", "title", "text", "state":
"not-affected"|"mitigated"|"vulnerable"|"unknown", "smt_vulnerable",
"needs_microcode"}].`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			c, err := microcodeClient(env)
			if err != nil {
				return err
			}
			defer c.Close()
			vs, err := c.Vulnerabilities()
			if err != nil {
				return err
			}
			if env.JSON {
				vs = nonNil(vs)
				if err := env.PrintJSON(vs); err != nil {
					return err
				}
			} else {
				tw := env.Table()
				for _, v := range vs {
					fmt.Fprintf(tw, "Vulnerability %s:\t%s\n", v.Title, v.Text)
				}
				tw.Flush()
			}
			for _, v := range vs {
				if v.State == microcode.Vulnerable {
					return ErrFindings
				}
			}
			return nil
		},
	}
}

func aptProgress(env *Env) apt.ProgressFunc {
	return func(p apt.Progress) { fmt.Fprintf(env.Stderr, "%+v\n", p) }
}

func microcodeSetupCmd() *Command {
	return &Command{
		Name: "setup", Summary: "set up early OS microcode updates for this CPU's vendor",
		Help: `Enables the Debian firmware repository (non-free-firmware on every Debian
line), runs apt update and installs intel-microcode or amd64-microcode.
Reboot afterwards. Needs root.

JSON output: {"package", "sources_changed", "version", "reboot_needed"}.`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			c, vendor, err := microcodeVendor(env)
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.Setup(ctx, vendor, aptProgress(env))
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(res)
			}
			fmt.Fprintf(env.Stdout, "%s %s installed; reboot to load the microcode\n", res.Package, res.Version)
			return nil
		},
	}
}

func microcodeVersionsCmd() *Command {
	return &Command{
		Name: "versions", Summary: "list the vendor package's versions (apt list -a)",
		Help: `Text output: VERSION ARCHIVES [installed] [candidate].

JSON output: apt's package versions: [{"name", "arch", "version",
"origins", "priority", "installed", "candidate"}].`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			c, vendor, err := microcodeVendor(env)
			if err != nil {
				return err
			}
			defer c.Close()
			vs, err := c.Versions(vendor)
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(nonNil(vs))
			}
			tw := env.Table()
			for _, v := range vs {
				var marks []string
				if v.Installed {
					marks = append(marks, "[installed]")
				}
				if v.Candidate {
					marks = append(marks, "[candidate]")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Version, v.Archives(), strings.Join(marks, " "))
			}
			return tw.Flush()
		},
	}
}

func microcodeDowngradeCmd() *Command {
	var noHold bool
	return &Command{
		Name: "downgrade", Args: "VERSION", Summary: "install an earlier microcode package version and hold it",
		Help: `Installs the vendor package at VERSION (a trailing * picks the newest
match, as in apt install intel-microcode=3.202305*) and puts it on hold,
unless --no-hold. Reboot afterwards. Needs root. Prints the version.`,
		Flags: func(fl *flag.FlagSet) { fl.BoolVar(&noHold, "no-hold", false, "do not hold the package") },
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usagef("microcode downgrade: want VERSION")
			}
			c, vendor, err := microcodeVendor(env)
			if err != nil {
				return err
			}
			defer c.Close()
			v, err := c.Downgrade(ctx, vendor, args[0], !noHold, aptProgress(env))
			if err != nil {
				return err
			}
			fmt.Fprintln(env.Stdout, v)
			return nil
		},
	}
}
