//go:build !linux

// Command guestinit is PID 1 of the VM tier's Linux guest.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "guestinit: runs only as PID 1 of the Linux test guest")
	os.Exit(1)
}
