// Package smart reads disk health: ATA SMART data through SG_IO
// pass-through and the NVMe health log through the admin command ioctl,
// with smartctl's JSON as a fallback and oracle; plus smartd.conf and
// disk discovery.
package smart
