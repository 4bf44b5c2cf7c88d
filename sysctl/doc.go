// Package sysctl reads and sets kernel parameters at runtime under
// /proc/sys, and reads and writes /etc/sysctl.conf and /etc/sysctl.d
// snippets losslessly.
package sysctl
