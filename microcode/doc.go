// Package microcode reports CPU microcode state and sets up early OS
// microcode updates: vendor and revision per CPU, the vendor package and
// its version, the early-load kernel log line, the dis_ucode_ldr switch,
// and CPU vulnerability mitigations.
//
// Client.CPUs reads /proc/cpuinfo (the admin guide's "grep microcode
// /proc/cpuinfo") and the per-CPU sysfs files
// /sys/devices/system/cpu/cpuN/microcode/{version,processor_flags}; State
// flags CPUs whose revisions differ. Client.Available decodes the vendor's
// firmware file for the CPU (Intel's /lib/firmware/intel-ucode/FF-MM-SS,
// AMD's amd-ucode containers) to tell which revision the installed package
// would load at the next boot, so State.RebootNeeded can say that a
// reboot is due. Client.KernelLog finds "microcode updated early to
// revision 0xf0, date = 2021-11-12" and the forms later kernels log, in
// /dev/kmsg on the running system or in dmesg and kern.log files below
// another root. Vulnerabilities mirrors lscpu's overview of
// /sys/devices/system/cpu/vulnerabilities.
package microcode
