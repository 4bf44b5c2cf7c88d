// Package microcode reports CPU microcode state and sets up early OS
// microcode updates: vendor and revision per CPU, the vendor package and
// its version, the early-load kernel log line, the dis_ucode_ldr switch,
// and CPU vulnerability mitigations.
package microcode
