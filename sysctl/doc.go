// Package sysctl reads and sets kernel parameters at runtime under
// /proc/sys, and reads and writes /etc/sysctl.conf and /etc/sysctl.d
// snippets losslessly.
//
// Runtime values ([Sysctl.Get], [Sysctl.Set]) are files under
// ROOT/proc/sys, so the same code works on the running system, on a
// fixture tree, and, with [Config.NetNSPath] or [Config.NetNSFD], on the
// net.* parameters of another network namespace: the kernel resolves
// /proc/sys/net by the namespace of the thread that opens the file, so
// those calls run on a thread that enters the namespace for the call.
//
// Persistent values follow systemd-sysctl, which applies them at boot:
// [Sysctl.Files] lists the *.conf files of /etc/sysctl.d, /run/sysctl.d,
// /usr/local/lib/sysctl.d and /usr/lib/sysctl.d in the order they apply
// (sorted by file name; a file hides one of the same name in a directory
// of lower precedence; a link to /dev/null masks), [Sysctl.Effective] and
// [Sysctl.Lookup] say which assignment wins (the last; an explicit name
// beats a glob pattern; "-name" keeps a name out of globs), and
// [Sysctl.Persist] edits one file in place under a lock, atomically and
// refusing to overwrite a concurrent edit, then reports the winner so
// that a caller learns when a later file overrides its setting. On Debian,
// /etc/sysctl.conf is read through the link /etc/sysctl.d/99-sysctl.conf.
//
// [Parse] and [File] are the lossless file format on its own: an
// untouched file formats byte for byte, an edit changes only its lines.
package sysctl
