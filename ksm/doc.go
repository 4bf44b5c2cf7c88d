// Package ksm reads and controls Kernel Samepage Merging: the counters
// under /sys/kernel/mm/ksm with the memory they save, the run mode and
// scan tuning, and the ksmtuned service and its configuration.
package ksm
