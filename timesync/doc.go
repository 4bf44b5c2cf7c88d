// Package timesync manages a host's time synchronisation: which NTP daemon
// runs, chrony and systemd-timesyncd configuration files (lossless), custom
// servers and pools, and whether the clock is synchronised to them.
//
// Proxmox VE 7 and later use chrony, Proxmox VE 6 systemd-timesyncd; ntpsec,
// ntp and openntpd are detected and their servers listed. Client.Detect
// names the daemon in use and Client.Sources lists its servers in the order
// the daemon reads them: chrony.conf with its include, confdir (*.conf) and
// sourcedir (*.sources) files, or timesyncd.conf with its drop-ins and
// systemd's list rules.
//
// The admin guide's "Using Custom NTP Servers" is Client.ReplaceSources
// (or AddSource and RemoveSource) followed by Client.Restart:
//
//	srcs := []timesync.Source{{Type: timesync.Server, Address: "ntp1.example.com",
//		Options: []timesync.Option{{Name: "iburst"}}}}
//	err := c.ReplaceSources(ctx, srcs)
//	err = c.Restart(ctx) // systemctl restart chrony.service
//
// Edits keep every other line of the files byte for byte, are written
// atomically under a lock, and refuse to overwrite a concurrent edit.
// Source options are checked as chronyd reads them.
//
// Verification: Client.Tracking and Client.SourceStates ask chronyd for
// the selected source, offset and reach over its own command protocol
// (DialChrony: the Unix socket or UDP port 323, what chronyc speaks), or
// through chronyc -c when Config.Chronyc names it;
// Client.TimesyncStatus asks systemd-timesyncd (timedatectl
// timesync-status), Client.Journal returns the daemon's journal classified
// ("Selected source 10.0.0.1 (ntp1.example.com)" is an EventSelected for
// 10.0.0.1), and ReadClock asks the kernel (adjtimex) whether any daemon
// keeps the clock synchronised. Client.Status gathers all of it.
//
// The tests run a real chronyd (Debian's package, unpacked) as a test
// process with -x, so that it never adjusts this machine's clock, serving
// and synchronising on loopback.
package timesync
