// Package ksm reads and controls Kernel Samepage Merging: the counters
// under /sys/kernel/mm/ksm with the memory they save, the run mode and
// scan tuning, and the ksmtuned service and its configuration.
//
// Client.Status reads every file the kernel publishes, each with its unit
// (pages, bytes, milliseconds, ...), and turns page counts into bytes:
// Status.Saved is pages_sharing times the page size, the figure Proxmox VE
// shows as "KSM sharing"; Status.Profit is the kernel's general_profit
// (6.7 and later), which also subtracts KSM's own bookkeeping.
//
// The admin guide's "Disabling KSM" is Client.Disable: systemctl disable
// --now ksmtuned, then run=2 to unmerge every merged page. Hosts that rent
// out guests should consider it, because KSM opens a side channel between
// guests. ksmtuned.conf is read and written losslessly (ParseTunedConfig,
// Client.EditTunedConfig), and TunedSettings reproduces the daemon's
// arithmetic: the free-memory threshold below which it starts the scanner
// and the scan sleep it derives from the host's memory size.
//
// Writes to /sys need root and a kernel with KSM; the service actions run
// systemctl and refuse to work on a root other than the running system.
package ksm
