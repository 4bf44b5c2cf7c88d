// Package timesync manages a host's time synchronisation: which NTP daemon
// runs, chrony and systemd-timesyncd configuration files (lossless), custom
// servers and pools, and whether the clock is synchronised to them.
package timesync
